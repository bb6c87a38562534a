using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace PoolRules.CodeFixes;

/// <summary>How every provider offers a fix: computed now, proven by <see cref="FixVerifier"/>, and only then registered.</summary>
internal static class VerifiedFixes
{
    /// <summary>Registers <paramref name="changed"/> under <paramref name="title"/> when it passes; false when it does not (or is null).</summary>
    public static async Task<bool> RegisterAsync(CodeFixContext context, Diagnostic diagnostic, string title, string equivalenceKey, Document? changed)
    {
        if (changed is null || !(await FixVerifier.CheckAsync(context.Document, changed, diagnostic, context.CancellationToken).ConfigureAwait(false)).Passed)
        {
            return false;
        }

        context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(changed), equivalenceKey), diagnostic);
        return true;
    }

    /// <summary>Registers a fix already proven by <see cref="FixVerifier"/> (a search that verified each attempt); nothing when null.</summary>
    public static void RegisterProven(CodeFixContext context, Diagnostic diagnostic, string title, string equivalenceKey, Document? changed)
    {
        if (changed is not null)
        {
            context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(changed), equivalenceKey), diagnostic);
        }
    }

    /// <summary>Registers the first candidate that passes; candidates are built lazily, in order of preference.</summary>
    public static async Task<bool> RegisterFirstAsync(CodeFixContext context, Diagnostic diagnostic, string equivalenceKey, IEnumerable<(string Title, Func<Task<Document?>> Create)> candidates)
    {
        foreach (var (title, create) in candidates)
        {
            if (await RegisterAsync(context, diagnostic, title, equivalenceKey, await create().ConfigureAwait(false)).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Fix All over proven fixes. Each document is fixed one diagnostic at a time, each fix proven against the document
/// as the fixes before it left it, and the findings read again after each one; a diagnostic without a proven fix is
/// passed over instead of stopping the rest. Without an equivalence key (what <c>dotnet format</c> asks when the
/// first diagnostic it saw had no fix), each diagnostic takes its own first action.
/// </summary>
internal sealed class VerifiedFixAllProvider : FixAllProvider
{
    // Bounds the work on one document; every round either fixes one diagnostic or ends.
    private const int MaxFixesPerDocument = 256;

    public static readonly VerifiedFixAllProvider Instance = new();

    private VerifiedFixAllProvider()
    {
    }

    public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
        new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

    public override Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
    {
        var documents = fixAllContext.Scope switch
        {
            FixAllScope.Document when fixAllContext.Document is { } document => new[] { document },
            FixAllScope.Project => fixAllContext.Project.Documents.ToArray(),
            FixAllScope.Solution => fixAllContext.Solution.Projects.SelectMany(p => p.Documents).ToArray(),
            _ => Array.Empty<Document>(),
        };
        if (documents.Length == 0)
        {
            return Task.FromResult<CodeAction?>(null);
        }

        var title = fixAllContext.CodeActionEquivalenceKey is { } key ? $"Fix all '{key}'" : "Fix all PoolRules findings";
        return Task.FromResult<CodeAction?>(CodeAction.Create(
            title,
            cancellationToken => FixAsync(fixAllContext, documents, cancellationToken),
            fixAllContext.CodeActionEquivalenceKey));
    }

    private static async Task<Solution> FixAsync(FixAllContext context, Document[] documents, CancellationToken cancellationToken)
    {
        var ids = context.DiagnosticIds.Intersect(context.CodeFixProvider.FixableDiagnosticIds).ToImmutableHashSet();
        var solution = context.Solution;
        foreach (var document in documents)
        {
            var fixedDocument = await FixDocumentAsync(context.CodeFixProvider, document, ids, context.CodeActionEquivalenceKey, cancellationToken).ConfigureAwait(false);
            if (fixedDocument != document)
            {
                solution = solution.WithDocumentText(document.Id, await fixedDocument.GetTextAsync(cancellationToken).ConfigureAwait(false));
            }
        }

        return solution;
    }

    private static async Task<Document> FixDocumentAsync(CodeFixProvider provider, Document document, ImmutableHashSet<string> ids, string? equivalenceKey, CancellationToken cancellationToken)
    {
        var current = document;
        var unfixable = new List<(string Id, TextSpan Span)>();
        for (var round = 0; round < MaxFixesPerDocument; round++)
        {
            var diagnostics = (await FixVerifier.PoolRulesDiagnosticsAsync(current, cancellationToken).ConfigureAwait(false))
                .Where(d => ids.Contains(d.Id) && !unfixable.Contains((d.Id, d.Location.SourceSpan)))
                .OrderBy(d => d.Location.SourceSpan.Start);
            Document? next = null;
            foreach (var diagnostic in diagnostics)
            {
                next = await FirstFixAsync(provider, current, diagnostic, equivalenceKey, cancellationToken).ConfigureAwait(false);
                if (next is not null)
                {
                    break;
                }

                unfixable.Add((diagnostic.Id, diagnostic.Location.SourceSpan));
            }

            if (next is null)
            {
                return current;
            }

            // The diagnostics passed over keep their place in the text that the fix moved.
            var changes = (await next.GetTextChangesAsync(current, cancellationToken).ConfigureAwait(false)).ToList();
            unfixable = unfixable.Select(u => (u.Id, Shift(u.Span, changes))).Where(u => u.Item2 is not null).Select(u => (u.Id, u.Item2!.Value)).ToList();
            current = next;
        }

        return current;
    }

    private static async Task<Document?> FirstFixAsync(CodeFixProvider provider, Document document, Diagnostic diagnostic, string? equivalenceKey, CancellationToken cancellationToken)
    {
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken);
        await provider.RegisterCodeFixesAsync(context).ConfigureAwait(false);
        var chosen = equivalenceKey is null ? actions.FirstOrDefault() : actions.FirstOrDefault(a => a.EquivalenceKey == equivalenceKey);
        if (chosen is null)
        {
            return null;
        }

        foreach (var operation in await chosen.GetOperationsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (operation is ApplyChangesOperation apply && apply.ChangedSolution.GetDocument(document.Id) is { } changed)
            {
                return changed;
            }
        }

        return null;
    }

    private static TextSpan? Shift(TextSpan span, List<TextChange> changes)
    {
        var delta = 0;
        foreach (var change in changes)
        {
            if (change.Span.OverlapsWith(span))
            {
                return null;
            }

            if (change.Span.End <= span.Start)
            {
                delta += change.NewText!.Length - change.Span.Length;
            }
        }

        return new TextSpan(span.Start + delta, span.Length);
    }
}
