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
        var words = Words(known);
        if (words.Length == 0)
        {
            return Nothing;
        }

        // Where the text can spell a name only one way, each place it spells one is looked up in the tree: the walk of
        // every node built the whole red tree of every file, and on code that rents in every method it was most of the
        // index's cost.
        var text = tree.GetText(cancellationToken).ToString();
        return MaySpellOtherwise(text) ? Walk(tree, known, cancellationToken) : Find(tree, text, words, known, cancellationToken);
    }

    /// <summary>The full walk: every node of the tree asked <see cref="Mark"/>.</summary>
    internal static CallNames Walk(SyntaxTree tree, KnownSymbols known, CancellationToken cancellationToken)
    {
        var found = new List<(int Start, int End, CallMark Mark)>();
        foreach (var node in tree.GetRoot(cancellationToken).DescendantNodesAndSelf())
        {
            var mark = Mark(node, known);
            if (mark != CallMark.None)
            {
                found.Add((node.SpanStart, node.Span.End, mark));
            }
        }

        return Of(found);
    }

    /// <summary>
    /// The same index from the text: each occurrence of a word is a token only where the token at that place spells it,
    /// and the node <see cref="Mark"/> is asked about is the one that token names (the call, the null assignment, the
    /// attribute), so only the red nodes on the way down to it are built.
    /// </summary>
    private static CallNames Find(SyntaxTree tree, string text, string[] words, KnownSymbols known, CancellationToken cancellationToken)
    {
        var root = tree.GetRoot(cancellationToken);
        var found = new List<(int Start, int End, CallMark Mark)>();
        foreach (var word in words)
        {
            for (var at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.Ordinal))
            {
                var token = root.FindToken(at);
                if (token.Span.Contains(at) && Named(token, word) is { } node && Mark(node, known) is var mark and not CallMark.None)
                {
                    found.Add((node.SpanStart, node.Span.End, mark));
                }
            }
        }

        // Source order, as the walk finds them (In searches the starts).
        found.Sort((a, b) => a.Start.CompareTo(b.Start));
        return Of(found);
    }

    /// <summary>The node <see cref="Mark"/> may count that <paramref name="token"/> spells <paramref name="word"/> in, or null.</summary>
    private static SyntaxNode? Named(SyntaxToken token, string word)
    {
        if (token.IsKind(SyntaxKind.NullKeyword))
        {
            return word == "null" ? token.Parent?.Parent : null;
        }

        if (!token.IsKind(SyntaxKind.IdentifierToken) || token.Parent is not SimpleNameSyntax name)
        {
            return null;
        }

        if (token.ValueText == word)
        {
            SyntaxNode called = name.Parent switch
            {
                MemberAccessExpressionSyntax member when member.Name == name => member,
                MemberBindingExpressionSyntax binding when binding.Name == name => binding,
                _ => name,
            };
            if (called.Parent is InvocationExpressionSyntax invocation && invocation.Expression == called)
            {
                return invocation;
            }
        }
        else if (!token.ValueText.Contains(word))
        {
            return null;
        }

        // An attribute counts when its name contains the word (TakesPageOwnershipAttribute, a qualified name).
        SyntaxNode? up = name;
        while (up is NameSyntax)
        {
            up = up.Parent;
        }

        return up as AttributeSyntax;
    }

    /// <summary>The words whose tokens <see cref="Mark"/> can count in this compilation.</summary>
    private static string[] Words(KnownSymbols known)
    {
        var words = new List<string>();
        if (known.HasPages)
        {
            words.AddRange(new[] { "AllocPages", "DevAllocPages", "AllocFrag", "DevAlloc", "Exchange", "PutPage", "PutFullPage", "RecycleDirect", "ReleasePage", "Put", "null", "TakesPageOwnership" });
        }

        if (known.NetPools is { } pools)
        {
            words.Add("Rent");
            words.Add("Return");
            if (pools.HasObjectPool)
            {
                words.Add("Get");
            }
        }

        return words.ToArray();
    }

    private static CallNames Of(List<(int Start, int End, CallMark Mark)> found)
    {
        if (found.Count == 0)
        {
            return Nothing;
        }

        var starts = new int[found.Count];
        var ends = new int[found.Count];
        var marks = new CallMark[found.Count];
        for (var i = 0; i < found.Count; i++)
        {
            (starts[i], ends[i], marks[i]) = found[i];
        }

        return new CallNames(starts, ends, marks);
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
    /// Whether the text can spell an identifier other than as written: a unicode escape, or a formatting character, which
    /// C# drops from identifiers. Such a file is walked instead.
    /// </summary>
    private static bool MaySpellOtherwise(string text)
    {
        for (var i = text.IndexOf('\\'); i >= 0; i = text.IndexOf('\\', i + 1))
        {
            if (i + 1 < text.Length && text[i + 1] is 'u' or 'U')
            {
                return true;
            }
        }

        foreach (var c in text)
        {
            if (c >= 0x80 && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format)
            {
                return true;
            }
        }

        return false;
    }
}
