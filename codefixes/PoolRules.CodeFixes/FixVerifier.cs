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

    public FixProblem(string id, TextSpan span)
    {
        Id = id;
        Span = span;
    }

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
/// move a finding into its callers), no new compiler error or warning (nullable ones included) in the members it
/// touches, and no put the engine says may see a null page in the code it inserted.
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
        new PP0008WrongPoolAnalyzer());

    // The original document's findings are asked for once per candidate; a compilation and tree stay the same
    // while the user looks at the light bulb or Fix All walks a document.
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<SyntaxTree, Task<ImmutableArray<Diagnostic>>>> Before = new();

    internal static Action<string>? Trace { get; set; }

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

        var map = new TextMap(changes);
        var problems = ImmutableArray.CreateBuilder<FixProblem>();

        // PoolRules findings: each one after the fix must be one that was there before, other than the one fixed.
        var before = await Cached(oldCompilation, oldRoot.SyntaxTree, original.Project.AnalyzerOptions, cancellationToken).ConfigureAwait(false);
        var after = await Cached(newCompilation, newRoot.SyntaxTree, changed.Project.AnalyzerOptions, cancellationToken).ConfigureAwait(false);
        var fixedKey = (fixing.Id, fixing.Location.SourceSpan);
        Unexpected(before.Where(d => (d.Id, d.Location.SourceSpan) != fixedKey), after, map, problems);

        // Compiler findings in the members the fix touches.
        var oldMembers = new List<SyntaxNode>();
        AddMember(oldRoot, fixing.Location.SourceSpan.Start, oldMembers);
        foreach (var change in changes)
        {
            AddMember(oldRoot, change.Span.Start, oldMembers);
        }

        var newMembers = new List<SyntaxNode>();
        foreach (var member in oldMembers)
        {
            AddMember(newRoot, map.Start(member.SpanStart), newMembers);
        }

        var oldCompiler = oldMembers.SelectMany(m => oldModel.GetDiagnostics(m.Span, cancellationToken)).Where(IsWarningOrError).Distinct();
        var newCompiler = newMembers.SelectMany(m => newModel.GetDiagnostics(m.Span, cancellationToken)).Where(IsWarningOrError).Distinct();
        Unexpected(oldCompiler, newCompiler, map, problems);

        // Puts the fix inserted where the engine says the page may be null.
        var inserted = map.NewSpans();
        var maybeNull = ImmutableArray.CreateBuilder<TextSpan>();
        if (KnownSymbols.For(newCompilation) is { } known)
        {
            foreach (var member in newMembers)
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

        Trace?.Invoke($"verify {fixing.Id}: {string.Join("; ", problems)}");
        return new FixCheck(problems.ToImmutable(), newRoot, maybeNull.ToImmutable());
    }

    private static void Unexpected(IEnumerable<Diagnostic> before, IEnumerable<Diagnostic> after, TextMap map, ImmutableArray<FixProblem>.Builder problems)
    {
        // A finding is the same one when its id, place and related places (a leak's exits, a double put's first
        // put) are: a leak that gained an exit is a new finding. One whose place the edit touched has no place
        // after it, so one reported there again is new.
        var expected = new Dictionary<string, int>();
        foreach (var diagnostic in before)
        {
            var spans = new[] { diagnostic.Location }.Concat(diagnostic.AdditionalLocations).Select(l => l.SourceTree == diagnostic.Location.SourceTree ? map.Map(l.SourceSpan) : l.SourceSpan).ToList();
            if (spans.All(s => s is not null))
            {
                var key = Key(diagnostic.Id, spans.Select(s => s!.Value));
                expected[key] = expected.TryGetValue(key, out var n) ? n + 1 : 1;
            }
        }

        foreach (var diagnostic in after)
        {
            var key = Key(diagnostic.Id, new[] { diagnostic.Location }.Concat(diagnostic.AdditionalLocations).Select(l => l.SourceSpan));
            if (expected.TryGetValue(key, out var n) && n > 0)
            {
                expected[key] = n - 1;
            }
            else
            {
                problems.Add(new FixProblem(diagnostic.Id, diagnostic.Location.SourceSpan));
            }
        }
    }

    private static string Key(string id, IEnumerable<TextSpan> spans) => id + ":" + string.Join(",", spans);

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

    /// <summary>Maps spans of the original text into the changed text through the edit's text changes.</summary>
    private sealed class TextMap
    {
        private readonly List<TextChange> _changes;

        public TextMap(List<TextChange> changes) => _changes = changes;

        /// <summary>Where text at <paramref name="position"/> moved; text inserted right at it goes before it.</summary>
        public int Start(int position)
        {
            var delta = 0;
            foreach (var change in _changes)
            {
                if (change.Span.End <= position)
                {
                    delta += change.NewText!.Length - change.Span.Length;
                }
            }

            return position + delta;
        }

        /// <summary>The span after the edit; null when the edit touched it.</summary>
        public TextSpan? Map(TextSpan span)
        {
            foreach (var change in _changes)
            {
                var touches = change.Span.Length == 0
                    ? change.Span.Start > span.Start && change.Span.Start < span.End
                    : change.Span.OverlapsWith(span) || (span.Length == 0 && change.Span.Contains(span.Start));
                if (touches)
                {
                    return null;
                }
            }

            var start = Start(span.Start);
            return new TextSpan(start, span.Length);
        }

        /// <summary>The inserted or replacing text of every change, in the changed document.</summary>
        public List<TextSpan> NewSpans()
        {
            var spans = new List<TextSpan>();
            var delta = 0;
            foreach (var change in _changes)
            {
                spans.Add(new TextSpan(change.Span.Start + delta, change.NewText!.Length));
                delta += change.NewText.Length - change.Span.Length;
            }

            return spans;
        }
    }
}
