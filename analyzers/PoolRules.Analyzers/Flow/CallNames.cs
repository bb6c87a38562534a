using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
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

    /// <summary>A page shape that needs no such call: a slot cleared (<c>x = null</c>) or a <c>[TakesPageOwnership]</c> attribute.</summary>
    Other = 4,
}

/// <summary>
/// One syntax tree's calls named like a pool's take or give-back (and the page shapes the pre-filter also counts): a
/// body or a type asks which of them lie inside its span.
/// </summary>
/// <remarks>
/// ArrayPool is in every corlib, so every body of every compilation reaches the .NET pool rules' pre-filter. The tree's
/// text is searched once for the words a call or shape must spell (a token can spell a name only where its text does),
/// and each place is resolved to its node only when a body that contains it asks, by a token search down from that
/// body: the body is bound by then, so its red nodes exist, and a tree is never walked whole (on code that rents in
/// every method, building the red tree of every file was most of the index's cost). Where the text can spell an
/// identifier otherwise (a unicode escape, a formatting character) the tree is walked instead, once.
/// A recorded node counts for a span only when it lies inside it, as the walk decided.
/// </remarks>
internal sealed class CallNames
{
    private static readonly CallNames Nothing = new(Array.Empty<int>(), Array.Empty<byte>(), Array.Empty<long>(), walked: false);

    // Per place, in source order: where a word starts, which word (an index into the compilation's words), and once
    // resolved, the node it names packed as Resolved | mark | start | end (0 until then; a long is written whole).
    private readonly int[] _places;
    private readonly byte[] _words;
    private readonly long[] _resolved;

    // Built by the walk: every place is a recorded node, resolved, and every word counts as present.
    private readonly bool _walked;

    private const long Resolved = 1;

    private CallNames(int[] places, byte[] words, long[] resolved, bool walked)
    {
        _places = places;
        _words = words;
        _resolved = resolved;
        _walked = walked;
    }

    /// <summary>The marks of every recorded node inside <paramref name="node"/>.</summary>
    public CallMark In(SyntaxNode node, string[] words, KnownSymbols known)
    {
        var span = node.Span;
        var marks = CallMark.None;
        for (var i = First(span.Start); i < _places.Length && _places[i] < span.End; i++)
        {
            var resolved = Volatile.Read(ref _resolved[i]);
            if (resolved == 0)
            {
                resolved = Resolve(node, _places[i], words[_words[i]], known);
                Volatile.Write(ref _resolved[i], resolved);
            }

            var start = (int)((resolved >> 9) & 0x7FFFFFF);
            var end = (int)(resolved >> 36);
            if (start >= span.Start && end <= span.End)
            {
                marks |= (CallMark)((resolved >> 1) & 0xFF);
            }
        }

        return marks;
    }

    /// <summary>
    /// Whether the text inside <paramref name="span"/> spells word number <paramref name="word"/> where a token could
    /// (a comment or a string may be counted too: a gate asks this before anything is bound).
    /// </summary>
    public bool MayName(TextSpan span, int word)
    {
        if (_walked)
        {
            return _places.Length > 0;
        }

        for (var i = First(span.Start); i < _places.Length && _places[i] < span.End; i++)
        {
            if (_words[i] == word)
            {
                return true;
            }
        }

        return false;
    }

    // Places are in source order: the first one at or after the span's start.
    private int First(int position)
    {
        var lo = 0;
        var hi = _places.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (_places[mid] < position)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static long Resolve(SyntaxNode within, int place, string word, KnownSymbols known)
    {
        var token = within.FindToken(place);
        if (token.Span.Contains(place) && Named(token, word) is { } named && Mark(named, known) is var mark and not CallMark.None)
        {
            return Pack(mark, named.Span);
        }

        return Resolved;
    }

    private static long Pack(CallMark mark, TextSpan span) =>
        Resolved | ((long)mark << 1) | ((long)span.Start << 9) | ((long)span.End << 36);

    /// <summary>The invoked method's name as written (<c>pool.Rent</c>, <c>?.Return</c>, <c>Get&lt;T&gt;</c>), or null.</summary>
    public static string? InvokedName(ExpressionSyntax? expression) => expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>The places in <paramref name="tree"/>'s text where it spells one of <paramref name="words"/> (see <see cref="Words"/>).</summary>
    public static CallNames For(SyntaxTree tree, string[] words, KnownSymbols known, CancellationToken cancellationToken)
    {
        if (words.Length == 0)
        {
            return Nothing;
        }

        var text = tree.GetText(cancellationToken).ToString();
        if (MaySpellOtherwise(tree, text))
        {
            return Walk(tree, known, cancellationToken);
        }

        var found = new List<(int Place, byte Word)>();
        for (var word = 0; word < words.Length; word++)
        {
            for (var at = text.IndexOf(words[word], StringComparison.Ordinal); at >= 0; at = text.IndexOf(words[word], at + 1, StringComparison.Ordinal))
            {
                found.Add((at, (byte)word));
            }
        }

        if (found.Count == 0)
        {
            return Nothing;
        }

        found.Sort((a, b) => a.Place.CompareTo(b.Place));
        var places = new int[found.Count];
        var which = new byte[found.Count];
        for (var i = 0; i < found.Count; i++)
        {
            (places[i], which[i]) = found[i];
        }

        return new CallNames(places, which, new long[found.Count], walked: false);
    }

    /// <summary>The full walk: every node of the tree asked <see cref="Mark"/>, for a text that can spell names otherwise.</summary>
    internal static CallNames Walk(SyntaxTree tree, KnownSymbols known, CancellationToken cancellationToken)
    {
        var places = new List<int>();
        var resolved = new List<long>();
        foreach (var node in tree.GetRoot(cancellationToken).DescendantNodesAndSelf())
        {
            var mark = Mark(node, known);
            if (mark != CallMark.None)
            {
                places.Add(node.SpanStart);
                resolved.Add(Pack(mark, node.Span));
            }
        }

        return new CallNames(places.ToArray(), new byte[places.Count], resolved.ToArray(), walked: true);
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
    public static string[] Words(KnownSymbols known)
    {
        var words = new List<string>();
        if (known.NetPools is { } pools)
        {
            words.Add("Rent");
            if (pools.HasObjectPool)
            {
                words.Add("Get");
            }

            words.Add("Return");
        }

        if (known.HasPages)
        {
            words.AddRange(new[] { "AllocPages", "DevAllocPages", "AllocFrag", "DevAlloc", "Exchange", "PutPage", "PutFullPage", "RecycleDirect", "ReleasePage", "Put", "null", "TakesPageOwnership" });
        }

        return words.ToArray();
    }

    private static CallMark Mark(SyntaxNode node, KnownSymbols known)
    {
        switch (node)
        {
            case InvocationExpressionSyntax invocation when InvokedName(invocation.Expression) is { } name && PoolContracts.MayTakeOrGiveBack(name, known):
                return known.NetPools?.MayTakeOrGiveBack(name) == true ? CallMark.PoolName | CallMark.RentalName : CallMark.PoolName;
            case AssignmentExpressionSyntax { Right: LiteralExpressionSyntax literal } when known.HasPages && literal.IsKind(SyntaxKind.NullLiteralExpression):
                return CallMark.Other;
            case AttributeSyntax attribute when known.HasPages && attribute.Name.ToString().Contains("TakesPageOwnership"):
                return CallMark.Other;
            default:
                return CallMark.None;
        }
    }

    /// <summary>
    /// Whether the tree's text can spell an identifier other than as written: a unicode escape, or a formatting character,
    /// which C# drops from identifiers. Every rule that reads text instead of nodes walks such a file instead. A tree's
    /// text never changes, so the answer is kept per tree for all of them.
    /// </summary>
    internal static bool MaySpellOtherwise(SyntaxTree tree, CancellationToken cancellationToken) =>
        SpelledOtherwise.TryGetValue(tree, out var known) ? known == Yes : MaySpellOtherwise(tree, tree.GetText(cancellationToken).ToString());

    /// <summary>The same, for a caller that already holds the tree's text.</summary>
    internal static bool MaySpellOtherwise(SyntaxTree tree, string text)
    {
        if (!SpelledOtherwise.TryGetValue(tree, out var known))
        {
            known = SpelledOtherwise.GetValue(tree, _ => MaySpellOtherwise(text) ? Yes : No);
        }

        return known == Yes;
    }

    private static readonly ConditionalWeakTable<SyntaxTree, object> SpelledOtherwise = new();

    private static readonly object Yes = new(), No = new();

    internal static bool MaySpellOtherwise(string text)
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
