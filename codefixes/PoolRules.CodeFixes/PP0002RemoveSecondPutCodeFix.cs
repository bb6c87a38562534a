using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0002: keeps exactly one give-back on every path. Removing the second put is right when the first one is reached
/// by every path that reaches it; when the first sits in a branch (a catch, one arm of an if) the second is the one
/// every path needs, and the first goes instead. Whichever the engine proves leaves no leak and no double put.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0002RemoveSecondPutCodeFix))]
[Shared]
public sealed class PP0002RemoveSecondPutCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0002DoublePut.Id);

    public override FixAllProvider GetFixAllProvider() => VerifiedFixAllProvider.Instance;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            await VerifiedFixes.RegisterFirstAsync(context, diagnostic, EquivalenceKeys.RemoveSecondPut, Candidates(context.Document, root, diagnostic, context.CancellationToken)).ConfigureAwait(false);
        }
    }

    private static IEnumerable<(string, Func<Task<Document?>>)> Candidates(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Statement(root, diagnostic.Location) is { } second)
        {
            yield return ("Remove the second put", () => RemoveAsync(document, second, cancellationToken));
        }

        if (diagnostic.AdditionalLocations.Count > 0 && diagnostic.AdditionalLocations[0].SourceTree == root.SyntaxTree
            && Statement(root, diagnostic.AdditionalLocations[0]) is { } first)
        {
            yield return ("Remove the first put, which not every path reaches", () => RemoveAsync(document, first, cancellationToken));
        }
    }

    // Only a call that is a statement of its own can go without changing what the code computes.
    private static ExpressionStatementSyntax? Statement(SyntaxNode root, Location location) =>
        root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>()?.Parent as ExpressionStatementSyntax;

    private static async Task<Document?> RemoveAsync(Document document, ExpressionStatementSyntax statement, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        if (statement.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax)
        {
            // The statement's own lines go with it (its indentation, comments about it, its end of line); the
            // neighbours keep theirs.
            editor.RemoveNode(statement, SyntaxRemoveOptions.KeepUnbalancedDirectives);
        }
        else
        {
            // The body of an if/else/loop without braces: an empty block keeps the statement well-formed.
            editor.ReplaceNode(statement, SyntaxFactory.Block().WithTriviaFrom(statement));
        }

        return editor.GetChangedDocument();
    }
}
