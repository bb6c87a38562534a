using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>PP0008: puts the page back to the pool it was allocated from (the receiver of the allocating call).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0008PutToOwningPoolCodeFix))]
[Shared]
public sealed class PP0008PutToOwningPoolCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0008WrongPool.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
                || Receiver(root, diagnostic.Location) is not { } wrongPool
                || Receiver(root, diagnostic.AdditionalLocations[0]) is not { } owningPool)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Put to '{owningPool}', the pool the page came from",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(
                        root.ReplaceNode(wrongPool, owningPool.WithTriviaFrom(wrongPool)))),
                    EquivalenceKeys.PutToOwningPool),
                diagnostic);
        }
    }

    private static ExpressionSyntax? Receiver(SyntaxNode root, Location location) =>
        (root.FindNode(location.SourceSpan, getInnermostNodeForTie: true)
            .FirstAncestorOrSelf<InvocationExpressionSyntax>()?.Expression as MemberAccessExpressionSyntax)?.Expression;
}
