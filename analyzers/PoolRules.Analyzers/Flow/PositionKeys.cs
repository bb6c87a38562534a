using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// Hashes the engine's keys without an object's identity hash: the graph's operations, syntax nodes and symbols are
/// fresh objects, and the first identity hash of each is dear (it was a sixth of the engine's time on leak-heavy code).
/// Operations and nodes hash by where they are and are equal only to themselves; symbols hash by name and compare as
/// they always do; anything else (a flow capture's id) hashes by its value.
/// </summary>
internal sealed class PositionKeys : IEqualityComparer<IOperation>, IEqualityComparer<SyntaxNode>, IEqualityComparer<object>
{
    public static readonly PositionKeys Instance = new();

    public bool Equals(IOperation? x, IOperation? y) => ReferenceEquals(x, y);

    public int GetHashCode(IOperation operation) => (operation.Syntax.SpanStart * 397) ^ (int)operation.Kind;

    public bool Equals(SyntaxNode? x, SyntaxNode? y) => ReferenceEquals(x, y);

    public int GetHashCode(SyntaxNode node) => (node.SpanStart * 397) ^ node.RawKind;

    public new bool Equals(object? x, object? y) => ReferenceEquals(x, y) || (x is not null && x.Equals(y));

    // Symbols of broken code may have no name.
    public int GetHashCode(object key) => key is ISymbol symbol ? symbol.Name?.GetHashCode() ?? 0 : key.GetHashCode();
}
