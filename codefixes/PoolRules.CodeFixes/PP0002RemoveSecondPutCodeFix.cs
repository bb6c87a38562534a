using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>PP0002: removes the second put or release and keeps the first.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0002RemoveSecondPutCodeFix))]
[Shared]
public sealed class PP0002RemoveSecondPutCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0002DoublePut.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            // Only a call that is a statement of its own can go without changing what the code computes.
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)
                    .FirstAncestorOrSelf<InvocationExpressionSyntax>()?.Parent is not ExpressionStatementSyntax statement)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Remove the second put",
                    cancellationToken => RemoveAsync(context.Document, statement, cancellationToken),
                    EquivalenceKeys.RemoveSecondPut),
                diagnostic);
        }
    }

    private static async Task<Document> RemoveAsync(Document document, ExpressionStatementSyntax statement, CancellationToken cancellationToken)
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
