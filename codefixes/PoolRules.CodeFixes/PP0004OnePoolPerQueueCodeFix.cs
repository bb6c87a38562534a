using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0004: one pool per RX queue. A pool created once before a per-queue loop and shared by every iteration is
/// created inside the loop instead, so each queue stores and registers its own; a pool array sized by something
/// other than the queue count is sized by the bound of the per-queue loop that fills it.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0004OnePoolPerQueueCodeFix))]
[Shared]
public sealed class PP0004OnePoolPerQueueCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0004PoolQueueCount.Id);

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
            if (diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree)
            {
                continue;
            }

            var reported = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var related = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
            if (SharedCreation(reported, related) is { } move)
            {
                await VerifiedFixes.RegisterAsync(
                    context,
                    diagnostic,
                    $"Create '{move.Declaration.Declaration.Variables[0].Identifier.ValueText}' per queue, inside the loop",
                    EquivalenceKeys.CreatePoolPerQueue,
                    await MoveIntoLoopAsync(context.Document, move.Declaration, move.Body, context.CancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
            }
            else if (reported is ExpressionSyntax size && related is ForStatementSyntax { Condition: BinaryExpressionSyntax { Right: var bound } } && size.Parent is ArrayRankSpecifierSyntax or ArgumentSyntax)
            {
                await VerifiedFixes.RegisterAsync(
                    context,
                    diagnostic,
                    $"Size the pools by '{bound}', the RX queue count",
                    EquivalenceKeys.SizePoolsByQueueCount,
                    context.Document.WithSyntaxRoot(root.ReplaceNode(size, bound.WithoutTrivia().WithTriviaFrom(size)))).ConfigureAwait(false);
            }
        }
    }

    // `var pool = PagePool.Create(…);` before a loop whose body shares it, and not used after the loop.
    private static (LocalDeclarationStatementSyntax Declaration, BlockSyntax Body)? SharedCreation(SyntaxNode reported, SyntaxNode create)
    {
        if (create.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is not { Declaration.Variables.Count: 1 } declaration
            || declaration.Parent is not BlockSyntax scope)
        {
            return null;
        }

        var name = declaration.Declaration.Variables[0].Identifier.ValueText;
        var loop = reported.Ancestors().FirstOrDefault(n => n is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax
            && n.SpanStart > declaration.Span.End && scope.Span.Contains(n.Span));
        var body = loop switch
        {
            ForStatementSyntax f => f.Statement,
            ForEachStatementSyntax f => f.Statement,
            WhileStatementSyntax w => w.Statement,
            DoStatementSyntax d => d.Statement,
            _ => null,
        };
        if (loop is null || body is not BlockSyntax { Statements.Count: > 0 } block)
        {
            return null;
        }

        // Moving the declaration must not take the pool away from code outside the loop.
        var usedOutside = scope.DescendantTokens()
            .Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == name && t.SpanStart > declaration.Span.End && !loop.Span.Contains(t.Span));
        return usedOutside ? null : (declaration, block);
    }

    private static async Task<Document> MoveIntoLoopAsync(Document document, LocalDeclarationStatementSyntax declaration, BlockSyntax body, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        editor.InsertBefore(body.Statements[0], declaration.WithoutLeadingTrivia().WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithAdditionalAnnotations(Formatter.Annotation));
        editor.RemoveNode(declaration, SyntaxRemoveOptions.KeepUnbalancedDirectives);
        return editor.GetChangedDocument();
    }
}
