using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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
/// PP0102, a .NET rental given back twice (<c>Return</c> in the <c>try</c> and again in the <c>finally</c>, a second
/// <c>owner.Dispose()</c>), is the same repair.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0002RemoveSecondPutCodeFix))]
[Shared]
public sealed class PP0002RemoveSecondPutCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0002DoublePut.Id, Descriptors.PP0102DoubleGiveBack.Id);

    public override FixAllProvider GetFixAllProvider() => VerifiedFixAllProvider.Instance;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            var key = diagnostic.Id == Descriptors.PP0102DoubleGiveBack.Id ? EquivalenceKeys.RemoveSecondGiveBack : EquivalenceKeys.RemoveSecondPut;
            await VerifiedFixes.RegisterFirstAsync(context, diagnostic, key, Candidates(context.Document, root, model, diagnostic, context.CancellationToken)).ConfigureAwait(false);
        }
    }

    private static IEnumerable<(string, Func<Task<Document?>>)> Candidates(Document document, SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var what = diagnostic.Id == Descriptors.PP0102DoubleGiveBack.Id ? "give-back" : "put";
        var second = Statement(root, model, diagnostic.Location, cancellationToken);
        var first = diagnostic.AdditionalLocations.Count > 0 && diagnostic.AdditionalLocations[0].SourceTree == root.SyntaxTree
            ? Statement(root, model, diagnostic.AdditionalLocations[0], cancellationToken)
            : null;
        if (first is not null && second is not null && FinallyOf(first, second))
        {
            // A give-back in the try and again in its finally: the finally's is the one every path needs, the
            // exception paths included, which the leak rules may not be asked to see.
            yield return ($"Remove the {what} in the try; the finally gives it back", () => RemoveAsync(document, first, cancellationToken));
        }

        if (second is not null)
        {
            yield return ($"Remove the second {what}", () => RemoveAsync(document, second, cancellationToken));
        }

        if (first is not null)
        {
            yield return ($"Remove the first {what}, which not every path reaches", () => RemoveAsync(document, first, cancellationToken));
        }
    }

    // Only a give-back of its own (a pool's put or release, the page's Put(), a Return, an owner's Dispose()) that is a
    // statement of its own can go without changing what else the code does; a helper that puts its argument does more.
    private static ExpressionStatementSyntax? Statement(SyntaxNode root, SemanticModel model, Location location, CancellationToken cancellationToken) =>
        root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is { Parent: ExpressionStatementSyntax statement } call
        && GiveBacks.IsGiveBack(call, model, cancellationToken)
            ? statement
            : null;

    private static bool FinallyOf(SyntaxNode first, SyntaxNode second) =>
        second.Ancestors().OfType<FinallyClauseSyntax>().Any(f => f.Parent is TryStatementSyntax attempt && attempt.Block.Span.Contains(first.Span));

    private static async Task<Document?> RemoveAsync(Document document, ExpressionStatementSyntax statement, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        if (statement.Parent is BlockSyntax { Statements.Count: 1, Parent: IfStatementSyntax { Else: null } branch } && IsPure(branch.Condition)
            && branch.Parent is BlockSyntax or SwitchSectionSyntax)
        {
            // An if that only put the page has nothing left to do once the put goes; a condition without side
            // effects can go with it.
            editor.RemoveNode(branch, SyntaxRemoveOptions.KeepUnbalancedDirectives);
            if (branch.Parent is BlockSyntax block && block.Statements.IndexOf(branch) == 0 && block.Statements.Count > 1)
            {
                // The blank line that separated the if from what follows would now open the block.
                var next = block.Statements[1];
                editor.ReplaceNode(next, next.WithLeadingTrivia(next.GetLeadingTrivia().SkipWhile(t => t.IsKind(SyntaxKind.EndOfLineTrivia) || (t.IsKind(SyntaxKind.WhitespaceTrivia) && t != next.GetLeadingTrivia().Last()))));
            }
        }
        else if (statement.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax)
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

    // Names, literals and operators on them: reading them again or not at all changes nothing.
    private static bool IsPure(ExpressionSyntax condition) => condition switch
    {
        IdentifierNameSyntax or LiteralExpressionSyntax or ThisExpressionSyntax => true,
        ParenthesizedExpressionSyntax parenthesized => IsPure(parenthesized.Expression),
        PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.LogicalNotExpression) => IsPure(unary.Operand),
        MemberAccessExpressionSyntax member => IsPure(member.Expression),
        BinaryExpressionSyntax binary => binary.Kind() is SyntaxKind.LogicalAndExpression or SyntaxKind.LogicalOrExpression
            or SyntaxKind.EqualsExpression or SyntaxKind.NotEqualsExpression or SyntaxKind.LessThanExpression or SyntaxKind.LessThanOrEqualExpression
            or SyntaxKind.GreaterThanExpression or SyntaxKind.GreaterThanOrEqualExpression
            && IsPure(binary.Left) && IsPure(binary.Right),
        _ => false,
    };
}
