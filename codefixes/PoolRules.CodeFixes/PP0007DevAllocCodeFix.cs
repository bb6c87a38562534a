using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0007: turns the GFP_KERNEL allocation in a NAPI poll into the atomic one, <c>pool.DevAllocPages()</c>
/// (<c>Atomic | NoWarn</c>), as a kernel driver swaps <c>page_pool_alloc_pages(pool, GFP_KERNEL)</c> for
/// <c>page_pool_dev_alloc_pages(pool)</c>. Only a constant <c>MayBlock</c> or <c>MayBlock | NoWarn</c> has that answer:
/// the caller already handles the null a failed allocation returns, and no flag but <c>MayBlock</c> is dropped that
/// <c>DevAllocPages</c> does not also set. Every other blocking call has to leave the poll, which no edit here can do.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0007DevAllocCodeFix))]
[Shared]
public sealed class PP0007DevAllocCodeFix : CodeFixProvider
{
    // AllocFlags.MayBlock and AllocFlags.MayBlock | AllocFlags.NoWarn.
    private const int MayBlock = 1;
    private const int MayBlockNoWarn = 3;

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0007BlockingInNapi.Id);

    public override FixAllProvider GetFixAllProvider() => VerifiedFixAllProvider.Instance;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || KnownSymbols.For(model.Compilation) is not { } known)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } call
                && call.Span == diagnostic.Location.SourceSpan
                && Atomic(call, model, known, context.CancellationToken) is { } atomic)
            {
                await VerifiedFixes.RegisterAsync(context, diagnostic, "Allocate atomically with DevAllocPages()", EquivalenceKeys.DevAllocPages,
                    context.Document.WithSyntaxRoot(root.ReplaceNode(call, atomic))).ConfigureAwait(false);
            }
        }
    }

    private static InvocationExpressionSyntax? Atomic(InvocationExpressionSyntax call, SemanticModel model, KnownSymbols known, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol { Name: "AllocPages" } method
            || !known.IsPagePool(method.ContainingType)
            || call.ArgumentList.Arguments.Count != 1
            || model.GetConstantValue(call.ArgumentList.Arguments[0].Expression, cancellationToken) is not { HasValue: true, Value: MayBlock or MayBlockNoWarn })
        {
            return null;
        }

        // `pool.AllocPages(…)` and `pool?.AllocPages(…)`: the receiver is kept as written, only the call changes.
        var name = SyntaxFactory.IdentifierName("DevAllocPages");
        ExpressionSyntax? target = call.Expression switch
        {
            MemberAccessExpressionSyntax member => member.WithName(name.WithTriviaFrom(member.Name)),
            MemberBindingExpressionSyntax binding => binding.WithName(name.WithTriviaFrom(binding.Name)),
            _ => null,
        };
        return target is null
            ? null
            : call.WithExpression(target).WithArgumentList(SyntaxFactory.ArgumentList().WithOpenParenToken(call.ArgumentList.OpenParenToken).WithCloseParenToken(call.ArgumentList.CloseParenToken));
    }
}
