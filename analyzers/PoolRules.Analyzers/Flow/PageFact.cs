using System;
using Microsoft.CodeAnalysis;

namespace PoolRules.Analyzers.Flow;

/// <summary>What one tracked page may be at a program point.</summary>
internal enum PageState : byte
{
    /// <summary>On this path the page was not created (the join of a path that did not reach the allocation).</summary>
    NotAllocated,

    /// <summary>The allocation failed (AllocPages returned null) or the value may be null.</summary>
    Null,

    /// <summary>The method owes a put, release or hand-on.</summary>
    Owned,

    /// <summary>The page belongs to someone else (a parameter, a field that was only read).</summary>
    Borrowed,

    /// <summary>Put back to its pool with PutPage, PutFullPage or RecycleDirect.</summary>
    Put,

    /// <summary>Taken out of the pool with ReleasePage; the caller still holds one reference.</summary>
    Released,

    /// <summary>The caller's reference was dropped with Page.Put().</summary>
    Dropped,

    /// <summary>Returned, stored or passed to a callee that takes ownership.</summary>
    HandedOn,

    /// <summary>
    /// Page.Get() took an extra reference: a put then only drops one of several references, so the page is no longer
    /// tracked (no leak, double put or use after put is reported for it).
    /// </summary>
    Shared,
}

/// <summary>A possible state of a page together with the operation that put it into that state.</summary>
internal readonly struct PageFact : IEquatable<PageFact>
{
    public static readonly PageFact NotAllocated = new(PageState.NotAllocated, null);

    public PageFact(PageState state, IOperation? at)
    {
        State = state;
        At = at;
    }

    public PageState State { get; }

    /// <summary>The allocation, put, release or hand-on that produced this state; null for a parameter's initial state.</summary>
    public IOperation? At { get; }

    public bool IsGone => State is PageState.Put or PageState.Dropped;

    public bool Equals(PageFact other) => State == other.State && ReferenceEquals(At, other.At);

    public override bool Equals(object? obj) => obj is PageFact other && Equals(other);

    public override int GetHashCode() => ((int)State * 397) ^ (At is null ? 0 : At.GetHashCode());
}
