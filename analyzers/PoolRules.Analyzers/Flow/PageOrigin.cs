using Microsoft.CodeAnalysis;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// One abstract page: everything created by the same operation (an allocation, a slot read) or held by the same
/// parameter. Variables point at origins, so aliases (<c>var q = p;</c>) share a single state.
/// </summary>
internal sealed class PageOrigin
{
    public PageOrigin(int id, IOperation? operation, IParameterSymbol? parameter, Location location)
    {
        Id = id;
        Operation = operation;
        Parameter = parameter;
        Location = location;
    }

    public int Id { get; }

    public IOperation? Operation { get; }

    public IParameterSymbol? Parameter { get; }

    public Location Location { get; }

    /// <summary>The first variable the page was stored in, for messages.</summary>
    public string? Name { get; set; }

    /// <summary>For a page read out of a field or array slot: the slot, so that clearing it transfers ownership.</summary>
    public string? SlotKey { get; set; }

    /// <summary>
    /// For a slot read: the locals, parameters and fields the slot's address is computed from (the array, its index,
    /// the object a field is read from). Writing one of them between the read and a clear makes it another slot.
    /// </summary>
    public System.Collections.Immutable.ImmutableArray<ISymbol> SlotSymbols { get; set; }

    /// <summary>Which pool's contract made this value: a page, or a rental from one of .NET's pools.</summary>
    public PoolKind Kind { get; set; }

    /// <summary>For an allocation: the pool it came from, when that is a known local, parameter, field or property.</summary>
    public PoolKey? Pool { get; set; }

    public string DisplayName => "'" + (Name ?? Operation?.Syntax.ToString() ?? Parameter?.Name ?? "page") + "'";
}

/// <summary>A pool named by a symbol (after following a local's initializer), for PP0008.</summary>
internal sealed class PoolKey
{
    public PoolKey(string key, string display)
    {
        Key = key;
        Display = display;
    }

    public string Key { get; }

    public string Display { get; }
}
