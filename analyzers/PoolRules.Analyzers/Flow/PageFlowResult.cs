using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Flow;

/// <summary>How a leaking path ends.</summary>
internal enum LeakExitKind
{
    Return,
    Throw,
    Overwrite,
    Reallocation,
}

/// <summary>One place where an owned page is lost.</summary>
internal sealed class LeakExit
{
    public LeakExit(Location location, LeakExitKind kind, bool topLevel)
    {
        Location = location;
        Kind = kind;
        TopLevel = topLevel;
    }

    public Location Location { get; }

    public LeakExitKind Kind { get; }

    /// <summary>The exit is one of the program's top-level statements: it ends the program, not a method.</summary>
    public bool TopLevel { get; }

    public int Line => Location.GetLineSpan().StartLinePosition.Line + 1;

    public string Describe() => Kind switch
    {
        LeakExitKind.Throw => (TopLevel ? "when the program throws at line " : "when the method throws at line ") + Line,
        LeakExitKind.Overwrite => "before the variable is overwritten at line " + Line,
        LeakExitKind.Reallocation => "before the loop comes back to line " + Line,
        _ => (TopLevel ? "when the program ends at line " : "when the method returns at line ") + Line,
    };
}

/// <summary>PP0001: an owned page reaches an exit, an overwrite or its next allocation.</summary>
internal sealed class LeakFinding
{
    public LeakFinding(Location allocation, string page, string how, ImmutableArray<LeakExit> exits, PoolKind kind = PoolKind.Page)
    {
        Kind = kind;
        Allocation = allocation;
        Page = page;
        How = how;
        Exits = exits;
    }

    public PoolKind Kind { get; }

    /// <summary>"allocated", "taken" (out of a cleared slot, or from an ObjectPool), "rented" or "received" (a [TakesPageOwnership] parameter).</summary>
    public string How { get; }

    /// <summary>How a value held since <paramref name="take"/> came to be owned, as <see cref="How"/> says it (the engine and the proof both name it so).</summary>
    public static string Taken(PoolKind kind, IOperation? take) =>
        kind != PoolKind.Page ? (kind == PoolKind.Object ? "taken" : "rented")
        : take is IInvocationOperation { TargetMethod.Name: not "Exchange" } ? "allocated" : "taken";

    public Location Allocation { get; }

    public string Page { get; }

    /// <summary>Every leaking exit in source order; the first one is named in the message.</summary>
    public ImmutableArray<LeakExit> Exits { get; }
}

/// <summary>PP0002: a put or release of a page that may already be put or released.</summary>
internal sealed class DoublePutFinding
{
    public DoublePutFinding(Location call, string page, PageState now, PageState earlier, Location earlierLocation, PoolKind kind = PoolKind.Page)
    {
        Kind = kind;
        Call = call;
        Page = page;
        Now = now;
        Earlier = earlier;
        EarlierLocation = earlierLocation;
    }

    public PoolKind Kind { get; }

    public Location Call { get; }

    public string Page { get; }

    public PageState Now { get; }

    public PageState Earlier { get; }

    public Location EarlierLocation { get; }
}

/// <summary>How a rental outlives the place that gives it back (PP0103).</summary>
internal enum RentalEscape
{
    /// <summary>Not an escape: a use after the give-back.</summary>
    None,

    /// <summary>Returned or stored at <see cref="UseAfterPutFinding.Use"/> inside a using or try-finally whose end gives it back at <see cref="UseAfterPutFinding.EarlierLocation"/>.</summary>
    Escapes,

    /// <summary>Given back at <see cref="UseAfterPutFinding.Use"/> while a field (or a collection kept in one) still holds it, stored at <see cref="UseAfterPutFinding.EarlierLocation"/>.</summary>
    GivenBackWhileStored,
}

/// <summary>PP0005: a use of a page that on every path was put back or dropped.</summary>
internal sealed class UseAfterPutFinding
{
    public UseAfterPutFinding(Location use, string page, PageState earlier, Location earlierLocation, PoolKind kind = PoolKind.Page, RentalEscape escape = RentalEscape.None)
    {
        Kind = kind;
        Escape = escape;
        Use = use;
        Page = page;
        Earlier = earlier;
        EarlierLocation = earlierLocation;
    }

    public PoolKind Kind { get; }

    /// <summary>For PP0103: a plain use after the give-back, or one of the two shapes of a rental that outlives its give-back.</summary>
    public RentalEscape Escape { get; }

    public Location Use { get; }

    public string Page { get; }

    public PageState Earlier { get; }

    public Location EarlierLocation { get; }
}

/// <summary>PP0008: a page put to another pool than the one that allocated it.</summary>
internal sealed class WrongPoolFinding
{
    public WrongPoolFinding(Location call, string page, string fromPool, string toPool, Location allocation, PoolKind kind = PoolKind.Page)
    {
        Kind = kind;
        Call = call;
        Page = page;
        FromPool = fromPool;
        ToPool = toPool;
        Allocation = allocation;
    }

    public Location Call { get; }

    public string Page { get; }

    public PoolKind Kind { get; }

    public string FromPool { get; }

    public string ToPool { get; }

    public Location Allocation { get; }
}

/// <summary>Everything the engine found in one operation block (its lambdas and local functions included).</summary>
internal sealed class PageFlowResult
{
    public static readonly PageFlowResult Empty = new();

    public List<LeakFinding> Leaks { get; } = new();

    public List<DoublePutFinding> DoublePuts { get; } = new();

    public List<UseAfterPutFinding> UsesAfterPut { get; } = new();

    public List<WrongPoolFinding> WrongPools { get; } = new();

    /// <summary>Puts, releases and drops whose page may be null on some path: no rule reports them, the code fixes ask (a put they insert there needs a guard).</summary>
    public List<Location> MaybeNullPuts { get; } = new();

    public static string Describe(PageState state) => state switch
    {
        PageState.Released => "released from its pool",
        PageState.Dropped => "dropped with Page.Put()",
        _ => "put back to its pool",
    };

    public static int Line(Location location) => location.GetLineSpan().StartLinePosition.Line + 1;
}
