namespace PoolRules.Analyzers.Napi;

/// <summary>
/// Whether a piece of code runs in a NAPI-safe context, the function it sits in, and the evidence either way,
/// phrased to follow "which is (not) a NAPI-safe context: " in a diagnostic message.
/// </summary>
internal sealed class NapiContext
{
    private NapiContext(bool isSafe, string function, string reason, bool grounded = true)
    {
        IsSafe = isSafe;
        Function = function;
        Reason = reason;
        Grounded = grounded;
    }

    public bool IsSafe { get; }

    /// <summary>
    /// For a safe answer: whether it rests on real evidence ([NapiContext], a NapiPoll) somewhere up the call chain,
    /// rather than only on the assumption made for a recursive cycle still being decided.
    /// </summary>
    internal bool Grounded { get; }

    /// <summary>The named method or local function the code sits in (for a lambda, the one that declares it).</summary>
    public string Function { get; }

    /// <summary>Why the code is (or is not) NAPI-safe, e.g. "it is a lambda passed to 'Task.Run'".</summary>
    public string Reason { get; }

    public static NapiContext Safe(string function, string reason) => new(isSafe: true, function, reason);

    /// <summary>Safe because every caller is; grounded when at least one caller's safety is.</summary>
    internal static NapiContext SafeVia(string function, string reason, bool grounded) => new(isSafe: true, function, reason, grounded);

    /// <summary>The optimistic answer for a function whose own answer is still being decided further up.</summary>
    internal static NapiContext Assumed(string function) => new(isSafe: true, function, "it is only reached from code already assumed NAPI-safe", grounded: false);

    public static NapiContext Unsafe(string function, string reason) => new(isSafe: false, function, reason);

    public NapiContext In(string function) => function == Function ? this : new(IsSafe, function, Reason, Grounded);

    public override string ToString() => $"{Function}: {(IsSafe ? "safe" : "unsafe")}, {Reason}";
}
