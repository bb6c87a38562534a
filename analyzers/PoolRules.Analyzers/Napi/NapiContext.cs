namespace PoolRules.Analyzers.Napi;

/// <summary>
/// Whether a piece of code runs in a NAPI-safe context, the function it sits in, and the evidence either way,
/// phrased to follow "which is (not) a NAPI-safe context: " in a diagnostic message.
/// </summary>
internal sealed class NapiContext
{
    private NapiContext(bool isSafe, string function, string reason)
    {
        IsSafe = isSafe;
        Function = function;
        Reason = reason;
    }

    public bool IsSafe { get; }

    /// <summary>The named method or local function the code sits in (for a lambda, the one that declares it).</summary>
    public string Function { get; }

    /// <summary>Why the code is (or is not) NAPI-safe, e.g. "it is a lambda passed to 'Task.Run'".</summary>
    public string Reason { get; }

    public static NapiContext Safe(string function, string reason) => new(isSafe: true, function, reason);

    public static NapiContext Unsafe(string function, string reason) => new(isSafe: false, function, reason);

    public NapiContext In(string function) => function == Function ? this : new(IsSafe, function, Reason);

    public override string ToString() => $"{Function}: {(IsSafe ? "safe" : "unsafe")}, {Reason}";
}
