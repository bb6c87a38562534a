using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Text;
using PoolRules.Analyzers;
using PoolRules.Analyzers.Flow;

namespace PoolRules.CodeFixes;

/// <summary>One thing wrong with a candidate fix, at its span in the changed document.</summary>
internal readonly struct FixProblem
{
    /// <summary>Raised where the engine says an inserted put may see a null page (no rule reports this; a put of null throws).</summary>
    public const string MaybeNullPut = "PoolRules.MaybeNullPut";

    public FixProblem(string id, TextSpan span, ImmutableArray<TextSpan> related = default)
    {
        Id = id;
        Span = span;
        Related = related.IsDefault ? ImmutableArray<TextSpan>.Empty : related;
    }

    /// <summary>The finding's related places (a double put's first put, a use's put), where the fix's own code may be.</summary>
    public ImmutableArray<TextSpan> Related { get; }

    public string Id { get; }

    public TextSpan Span { get; }

    public override string ToString() => $"{Id} at {Span}";
}

/// <summary>What the verifier found in a candidate fix; it passes when nothing is wrong.</summary>
internal sealed class FixCheck
{
    public static readonly FixCheck Unverifiable = new(ImmutableArray.Create(new FixProblem("PoolRules.Unverifiable", default)), null);

    public FixCheck(ImmutableArray<FixProblem> problems, SyntaxNode? changedRoot, ImmutableArray<TextSpan> maybeNull = default)
    {
        Problems = problems;
        ChangedRoot = changedRoot;
        MaybeNull = maybeNull.IsDefault ? ImmutableArray<TextSpan>.Empty : maybeNull;
    }

    /// <summary>Every inserted put the engine says may see a null page, whether or not that is a problem here (the compiler may know better).</summary>
    public ImmutableArray<TextSpan> MaybeNull { get; }

    public bool Passed => Problems.IsEmpty;

    public ImmutableArray<FixProblem> Problems { get; }

    /// <summary>The changed document's root, where the problems' spans are (null when it could not be checked).</summary>
    public SyntaxNode? ChangedRoot { get; }
}

/// <summary>
/// Proves a candidate fix before it is offered (issue #16): the edited document must leave the fixed diagnostic gone,
/// bring no PoolRules diagnostic that was not there before anywhere in the document (a helper's new summary can
/// move a finding into its callers), no new compiler error or warning (nullable ones included), and no put the engine
/// says may see a null page in the code it inserted. Findings before and after are matched by what they point at
/// (see <see cref="Key"/>), not by position, which every edit moves.
/// </summary>
internal static class FixVerifier
{
    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(
        new PP0001PageLeakAnalyzer(),
        new PP0002DoublePutAnalyzer(),
        new PP0003DirectRecycleOutsideNapiAnalyzer(),
        new PP0004PoolQueueCountAnalyzer(),
        new PP0005UseAfterPutAnalyzer(),
        new PP0006InvalidPoolParamsAnalyzer(),
        new PP0007BlockingInNapiAnalyzer(),
        new PP0008WrongPoolAnalyzer(),
        new PP0105PooledFieldGivenBackTwiceAnalyzer());

    // The original document's findings are asked for once per candidate; a compilation and tree stay the same
    // while the user looks at the light bulb or Fix All walks a document.
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<SyntaxTree, Task<ImmutableArray<Diagnostic>>>> Before = new();

    /// <summary>The PoolRules diagnostics of one tree, as the rules report them (for Fix All, which re-reads them after each fix).</summary>
    public static async Task<ImmutableArray<Diagnostic>> PoolRulesDiagnosticsAsync(Document document, CancellationToken cancellationToken)
    {
        var compilation = await document.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
        var tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
        if (compilation is null || tree is null)
        {
            return ImmutableArray<Diagnostic>.Empty;
        }

        return await Cached(compilation, tree, document.Project.AnalyzerOptions, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<FixCheck> CheckAsync(Document original, Document changed, Diagnostic fixing, CancellationToken cancellationToken)
    {
        try
        {
            return await CheckCoreAsync(original, changed, fixing, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A fix that cannot be proven is not offered; the light bulb must never see an exception.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return FixCheck.Unverifiable;
        }
    }

    private static async Task<FixCheck> CheckCoreAsync(Document original, Document changed, Diagnostic fixing, CancellationToken cancellationToken)
    {
        var changes = (await changed.GetTextChangesAsync(original, cancellationToken).ConfigureAwait(false)).OrderBy(c => c.Span.Start).ToList();
        var oldCompilation = await original.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
        var newCompilation = await changed.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
        var oldRoot = await original.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var newRoot = await changed.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var oldModel = await original.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var newModel = await changed.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (changes.Count == 0 || oldCompilation is null || newCompilation is null || oldRoot is null || newRoot is null || oldModel is null || newModel is null)
        {
            return FixCheck.Unverifiable;
        }

        var problems = ImmutableArray.CreateBuilder<FixProblem>();

        // PoolRules findings: each one after the fix must be one that was there before, other than the one fixed.
        var before = await Cached(oldCompilation, oldRoot.SyntaxTree, original.Project.AnalyzerOptions, cancellationToken).ConfigureAwait(false);
        var after = await Cached(newCompilation, newRoot.SyntaxTree, changed.Project.AnalyzerOptions, cancellationToken).ConfigureAwait(false);
        Unexpected(oldRoot, before, fixing, newRoot, after, changes, problems);

        // Compiler findings: none new, nullable warnings included.
        Unexpected(oldRoot, oldModel.GetDiagnostics(null, cancellationToken).Where(IsWarningOrError), null, newRoot, newModel.GetDiagnostics(null, cancellationToken).Where(IsWarningOrError), changes, problems);

        // Puts the fix inserted where the engine says the page may be null.
        var inserted = Inserted(changes);
        var members = new List<SyntaxNode>();
        foreach (var span in inserted)
        {
            AddMember(newRoot, span.Start, members);
            AddMember(newRoot, span.End, members);
        }

        var maybeNull = ImmutableArray.CreateBuilder<TextSpan>();
        if (KnownSymbols.For(newCompilation) is { } known)
        {
            foreach (var member in members)
            {
                foreach (var put in MaybeNullPuts(known, newModel, member, cancellationToken).Distinct())
                {
                    if (inserted.Any(s => s.Contains(put)))
                    {
                        maybeNull.Add(put);
                        if (NullMatters(newRoot, newModel, put))
                        {
                            problems.Add(new FixProblem(FixProblem.MaybeNullPut, put));
                        }
                    }
                }
            }
        }

        return new FixCheck(problems.ToImmutable(), newRoot, maybeNull.ToImmutable());
    }

    private static void Unexpected(SyntaxNode oldRoot, IEnumerable<Diagnostic> before, Diagnostic? fixing, SyntaxNode newRoot, IEnumerable<Diagnostic> after, List<TextChange> changes, ImmutableArray<FixProblem>.Builder problems)
    {
        var expected = new List<(string Text, string? Position)>();
        foreach (var diagnostic in before)
        {
            if (fixing is null || diagnostic.Id != fixing.Id || diagnostic.Location.SourceSpan != fixing.Location.SourceSpan)
            {
                expected.Add((Key(oldRoot, diagnostic), PositionKey(oldRoot, diagnostic, changes)));
            }
        }

        foreach (var diagnostic in after)
        {
            var text = Key(newRoot, diagnostic);
            var index = expected.FindIndex(e => e.Text == text);
            if (index < 0)
            {
                // The edit rewrote the code a finding points at (a receiver swapped in a put that PP0003 also
                // reports): still the same finding when it starts where the old one did.
                var position = PositionKey(newRoot, diagnostic, null);
                index = expected.FindIndex(e => e.Position is not null && e.Position == position);
            }

            if (index >= 0)
            {
                expected.RemoveAt(index);
            }
            else
            {
                problems.Add(new FixProblem(diagnostic.Id, diagnostic.Location.SourceSpan, diagnostic.AdditionalLocations.Where(l => l.SourceTree == diagnostic.Location.SourceTree).Select(l => l.SourceSpan).ToImmutableArray()));
            }
        }
    }

    // Id, member, start in the changed text and the related places' code; null when an edit covers the start. Old
    // positions move by the changes before them.
    private static string? PositionKey(SyntaxNode root, Diagnostic diagnostic, List<TextChange>? changes)
    {
        var start = diagnostic.Location.SourceSpan.Start;
        if (changes is not null)
        {
            var delta = 0;
            foreach (var change in changes)
            {
                if (change.Span.Start < start && change.Span.End > start)
                {
                    return null;
                }

                if (change.Span.End <= start && !(change.Span.Length == 0 && change.Span.Start == start))
                {
                    delta += change.NewText!.Length - change.Span.Length;
                }
            }

            start += delta;
        }

        // The related places must still read the same: a leak that gained an exit is new wherever it starts.
        return diagnostic.Id + "|" + MemberName(root, diagnostic.Location) + "|" + start.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + string.Concat(diagnostic.AdditionalLocations.Select(l => "|" + Text(root, l)));
    }

    // A finding is the same one before and after an edit when its id, its member, the code it points at and the
    // code of its related places (a leak's exits, a double put's first put) are; text moves with an edit where
    // positions do not. A leak that gained an exit, or a finding on code the edit rewrote, is new.
    private static string Key(SyntaxNode root, Diagnostic diagnostic)
    {
        var key = new System.Text.StringBuilder(diagnostic.Id).Append('|').Append(MemberName(root, diagnostic.Location)).Append('|').Append(Text(root, diagnostic.Location));
        foreach (var related in diagnostic.AdditionalLocations)
        {
            key.Append('|').Append(Text(root, related));
        }

        if (!diagnostic.Id.StartsWith("PP", StringComparison.Ordinal))
        {
            // The compiler's messages name what is wrong without saying where.
            key.Append('|').Append(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }

        return key.ToString();
    }

    private static string Text(SyntaxNode root, Location location)
    {
        if (location.SourceTree != root.SyntaxTree || location.SourceSpan.End > root.FullSpan.End)
        {
            return location.ToString();
        }

        return string.Join(" ", root.SyntaxTree.GetText().ToString(location.SourceSpan).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    private static string MemberName(SyntaxNode root, Location location)
    {
        if (location.SourceTree != root.SyntaxTree || location.SourceSpan.Start > root.FullSpan.End)
        {
            return "";
        }

        var member = root.FindToken(location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<MemberDeclarationSyntax>(m => m is not (BaseNamespaceDeclarationSyntax));
        return member switch
        {
            BaseMethodDeclarationSyntax method => method.Kind() + " " + (method is MethodDeclarationSyntax m ? m.Identifier.ValueText : "") + method.ParameterList,
            BasePropertyDeclarationSyntax property => property.Kind() + " " + (property is PropertyDeclarationSyntax p ? p.Identifier.ValueText : ""),
            BaseFieldDeclarationSyntax field => "field " + string.Join(",", field.Declaration.Variables.Select(v => v.Identifier.ValueText)),
            BaseTypeDeclarationSyntax type => type.Kind() + " " + type.Identifier.ValueText,
            null => "",
            _ => member.Kind().ToString(),
        };
    }

    // Where the changed text is, in the changed document.
    private static List<TextSpan> Inserted(List<TextChange> changes)
    {
        var spans = new List<TextSpan>();
        var delta = 0;
        foreach (var change in changes)
        {
            spans.Add(new TextSpan(change.Span.Start + delta, change.NewText!.Length));
            delta += change.NewText.Length - change.Span.Length;
        }

        return spans;
    }

    private static bool IsWarningOrError(Diagnostic diagnostic) =>
        diagnostic.Severity is DiagnosticSeverity.Warning or DiagnosticSeverity.Error && !diagnostic.IsSuppressed;

    // The member (method, property, field…) around a position; edits outside any member (a using) have none.
    private static void AddMember(SyntaxNode root, int position, List<SyntaxNode> members)
    {
        if (position < 0 || position > root.FullSpan.End)
        {
            return;
        }

        var member = root.FindToken(position).Parent?.FirstAncestorOrSelf<MemberDeclarationSyntax>(m => m is not (BaseTypeDeclarationSyntax or BaseNamespaceDeclarationSyntax or DelegateDeclarationSyntax));
        if (member is not null && !members.Contains(member))
        {
            members.Add(member);
        }
    }

    // With nullable warnings on, the compiler already answers for a plain argument; a `!` or a file without nullable
    // warnings leaves the engine as the only witness.
    private static bool NullMatters(SyntaxNode root, SemanticModel model, TextSpan put)
    {
        var call = root.FindNode(put, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>();
        var suppressed = call?.DescendantNodes().OfType<PostfixUnaryExpressionSyntax>().Any(p => p.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SuppressNullableWarningExpression)) == true;
        return suppressed || !model.GetNullableContext(put.Start).WarningsEnabled();
    }

    private static IEnumerable<TextSpan> MaybeNullPuts(KnownSymbols known, SemanticModel model, SyntaxNode member, CancellationToken cancellationToken)
    {
        var operation = model.GetOperation(member, cancellationToken);
        var graph = operation switch
        {
            Microsoft.CodeAnalysis.Operations.IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
            Microsoft.CodeAnalysis.Operations.IConstructorBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
            _ => null,
        };
        if (graph is null || model.GetDeclaredSymbol(member, cancellationToken) is not IMethodSymbol method)
        {
            return Enumerable.Empty<TextSpan>();
        }

        var result = new PageFlowResult();
        PageFlowRun.AnalyzeGraph(known, graph, method.Parameters, result);
        return result.MaybeNullPuts.Select(l => l.SourceSpan);
    }

    private static Task<ImmutableArray<Diagnostic>> Cached(Compilation compilation, SyntaxTree tree, AnalyzerOptions options, CancellationToken cancellationToken) =>
        Before.GetValue(compilation, _ => new ConcurrentDictionary<SyntaxTree, Task<ImmutableArray<Diagnostic>>>())
            .GetOrAdd(tree, t => Analyze(compilation, t, options, CancellationToken.None));

    private static async Task<ImmutableArray<Diagnostic>> Analyze(Compilation compilation, SyntaxTree tree, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        var withAnalyzers = compilation.WithAnalyzers(Analyzers, new CompilationWithAnalyzersOptions(options, onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
        var model = compilation.GetSemanticModel(tree);
        var diagnostics = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, filterSpan: null, cancellationToken).ConfigureAwait(false);
        return diagnostics.Where(d => !d.IsSuppressed).ToImmutableArray();
    }
}
