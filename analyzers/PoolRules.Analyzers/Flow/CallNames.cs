using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace PoolRules.Analyzers.Flow;

/// <summary>What the syntactic pre-filter looks for, per node it found.</summary>
[Flags]
internal enum CallMark : byte
{
    None = 0,

    /// <summary>A call named like a take or give-back of a contract this compilation sees (<see cref="PoolContracts.MayTakeOrGiveBack(string, KnownSymbols)"/>).</summary>
    PoolName = 1,

    /// <summary>A call named like a .NET pool's take or give-back (Rent, Return, Get where ObjectPool exists).</summary>
    RentalName = 2,

    /// <summary>A call named like a .NET pool's take (Rent, Get where ObjectPool exists): what PP0105 needs in a type.</summary>
    TakeName = 4,

    /// <summary>A page shape that needs no such call: a slot cleared (<c>x = null</c>) or a <c>[TakesPageOwnership]</c> attribute.</summary>
    Other = 8,
}

/// <summary>
/// One syntax tree's calls named like a pool's take or give-back (and the page shapes the pre-filter also counts), in
/// source order, found in one walk per tree: a body or a type then asks which of them lie inside its span.
/// </summary>
/// <remarks>
/// ArrayPool is in every corlib, so every body of every compilation reaches the .NET pool rules' pre-filter, and on
/// code that never rents (ImageSharp: 3 rentals in 1,355 files) that pre-filter, walked once per body and cached per
/// body, was most of their time. A tree whose text does not contain one of the names as a word cannot call one, so
/// most trees are answered by a scan of their text, without a walk and without a node of the red tree.
/// Every recorded node has a non-empty span, so a node lies inside a body's span exactly when it is a descendant of
/// the body (or the body itself): disjoint subtrees have disjoint spans, and none of these nodes has the span of a
/// body or type declaration it contains.
/// </remarks>
internal sealed class CallNames
{
    private static readonly CallNames Nothing = new(Array.Empty<int>(), Array.Empty<int>(), Array.Empty<CallMark>());

    private readonly int[] _starts;
    private readonly int[] _ends;
    private readonly CallMark[] _marks;

    private CallNames(int[] starts, int[] ends, CallMark[] marks)
    {
        _starts = starts;
        _ends = ends;
        _marks = marks;
    }

    /// <summary>The marks of every recorded node inside <paramref name="span"/>.</summary>
    public CallMark In(TextSpan span)
    {
        var marks = CallMark.None;
        // Source order is pre-order, so starts never decrease: the first node at or after the span's start, then on.
        var lo = 0;
        var hi = _starts.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (_starts[mid] < span.Start)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        for (var i = lo; i < _starts.Length && _starts[i] < span.End; i++)
        {
            if (_ends[i] <= span.End)
            {
                marks |= _marks[i];
            }
        }

        return marks;
    }

    /// <summary>The invoked method's name as written (<c>pool.Rent</c>, <c>?.Return</c>, <c>Get&lt;T&gt;</c>), or null.</summary>
    public static string? InvokedName(ExpressionSyntax? expression) => expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        _ => null,
    };

    public static CallNames For(SyntaxTree tree, KnownSymbols known, CancellationToken cancellationToken)
    {
        // The page shapes without a call (a null assignment) are everywhere: a compilation with pages always walks.
        if (!known.HasPages && !MayNameRentals(tree.GetText(cancellationToken), known.NetPools))
        {
            return Nothing;
        }

        var starts = new List<int>();
        var ends = new List<int>();
        var marks = new List<CallMark>();
        foreach (var node in tree.GetRoot(cancellationToken).DescendantNodesAndSelf())
        {
            var mark = Mark(node, known);
            if (mark != CallMark.None)
            {
                starts.Add(node.SpanStart);
                ends.Add(node.Span.End);
                marks.Add(mark);
            }
        }

        return starts.Count == 0 ? Nothing : new CallNames(starts.ToArray(), ends.ToArray(), marks.ToArray());
    }

    private static CallMark Mark(SyntaxNode node, KnownSymbols known)
    {
        switch (node)
        {
            case InvocationExpressionSyntax invocation when InvokedName(invocation.Expression) is { } name && PoolContracts.MayTakeOrGiveBack(name, known):
                var mark = CallMark.PoolName;
                if (known.NetPools?.MayTakeOrGiveBack(name) == true)
                {
                    mark |= CallMark.RentalName;
                    if (name is "Rent" or "Get")
                    {
                        mark |= CallMark.TakeName;
                    }
                }

                return mark;
            case AssignmentExpressionSyntax { Right: LiteralExpressionSyntax literal } when known.HasPages && literal.IsKind(SyntaxKind.NullLiteralExpression):
                return CallMark.Other;
            case AttributeSyntax attribute when known.HasPages && attribute.Name.ToString().Contains("TakesPageOwnership"):
                return CallMark.Other;
            default:
                return CallMark.None;
        }
    }

    /// <summary>
    /// Whether the text may name a .NET pool's take or give-back: one of the names as a whole word, or anything that
    /// can spell an identifier other than as written (a unicode escape, a formatting character, which C# drops).
    /// </summary>
    private static bool MayNameRentals(SourceText text, NetPools? pools)
    {
        if (pools is null)
        {
            return false;
        }

        const int Chunk = 8192;
        const int Overlap = 8; // longer than any name, so every occurrence lies whole in one window
        var buffer = new char[Chunk + Overlap];
        for (var start = 0; start < text.Length; start += Chunk)
        {
            var count = Math.Min(Chunk + Overlap, text.Length - start);
            text.CopyTo(start, buffer, 0, count);
            for (var i = 0; i < count; i++)
            {
                var c = buffer[i];
                if ((c == '\\' && i + 1 < count && buffer[i + 1] is 'u' or 'U')
                    || (c >= 0x80 && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format))
                {
                    return true;
                }
            }

            var window = new ReadOnlySpan<char>(buffer, 0, count);
            if (HasWord(window, "Rent") || HasWord(window, "Return") || (pools.HasObjectPool && HasWord(window, "Get")))
            {
                return true;
            }
        }

        return false;
    }

    // A neighbour outside the window is unknown and counts as a boundary: the walk then decides.
    private static bool HasWord(ReadOnlySpan<char> window, string word)
    {
        var offset = 0;
        while (offset < window.Length)
        {
            var found = window.Slice(offset).IndexOf(word.AsSpan(), StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            var at = offset + found;
            var end = at + word.Length;
            if ((at == 0 || !IsAsciiIdentifierPart(window[at - 1])) && (end == window.Length || !IsAsciiIdentifierPart(window[end])))
            {
                return true;
            }

            offset = at + 1;
        }

        return false;
    }

    // Only ASCII neighbours rule a match out; any other character may continue an identifier or not, and counts as a boundary.
    private static bool IsAsciiIdentifierPart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';
}
