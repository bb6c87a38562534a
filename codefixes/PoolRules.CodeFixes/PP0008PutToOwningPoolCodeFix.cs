using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0008: puts the page back to the pool it was allocated from: the receiver of the allocating call when that is a
/// plain name and the engine agrees, else <c>page.Pool!</c>, the page's own pool (the one answer when the pool is
/// chosen at run time, as by a switch over two pools). PP0104, a .NET rental given back to another pool, is the same
/// repair with the take's receiver (<c>_pool.Rent(n)</c> … <c>_pool.Return(array)</c>); a rental has no pool of its own
/// to fall back on, so where the take does not name its pool plainly there is no fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0008PutToOwningPoolCodeFix))]
[Shared]
public sealed class PP0008PutToOwningPoolCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0008WrongPool.Id, Descriptors.PP0104WrongPool.Id);

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
            // The analyzer reports at the put and points at the allocation; both calls are `pool.Method(...)`.
            if (diagnostic.AdditionalLocations.Count == 0
                || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree
                || Call(root, diagnostic.Location) is not { Expression: MemberAccessExpressionSyntax { Expression: var wrongPool } } put)
            {
                continue;
            }

            var key = diagnostic.Id == Descriptors.PP0104WrongPool.Id ? EquivalenceKeys.GiveBackToOwningPool : EquivalenceKeys.PutToOwningPool;
            await VerifiedFixes.RegisterFirstAsync(context, diagnostic, key, Candidates(context.Document, root, put, wrongPool, diagnostic)).ConfigureAwait(false);
        }
    }

    private static IEnumerable<(string, Func<Task<Document?>>)> Candidates(Document document, SyntaxNode root, InvocationExpressionSyntax put, ExpressionSyntax wrongPool, Diagnostic diagnostic)
    {
        var rental = diagnostic.Id == Descriptors.PP0104WrongPool.Id;
        if ((Call(root, diagnostic.AdditionalLocations[0])?.Expression as MemberAccessExpressionSyntax)?.Expression is { } owningPool && GiveBacks.IsPlainName(owningPool))
        {
            var title = rental
                ? $"Return to '{owningPool.WithoutTrivia()}', the pool the rental came from"
                : $"Put to '{owningPool}', the pool the page came from";
            yield return (title, () => Task.FromResult<Document?>(document.WithSyntaxRoot(root.ReplaceNode(wrongPool, owningPool.WithoutTrivia().WithTriviaFrom(wrongPool)))));
        }

        if (!rental && put.ArgumentList.Arguments.Count > 0 && put.ArgumentList.Arguments[0].Expression is IdentifierNameSyntax page)
        {
            var ownPool = SyntaxFactory.PostfixUnaryExpression(
                SyntaxKind.SuppressNullableWarningExpression,
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, page.WithoutTrivia(), SyntaxFactory.IdentifierName("Pool")));
            yield return ($"Put to '{page.Identifier.ValueText}.Pool', the pool the page came from", () => Task.FromResult<Document?>(document.WithSyntaxRoot(root.ReplaceNode(wrongPool, ownPool.WithTriviaFrom(wrongPool)))));
        }
    }

    private static InvocationExpressionSyntax? Call(SyntaxNode root, Location location) =>
        root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>();
}
