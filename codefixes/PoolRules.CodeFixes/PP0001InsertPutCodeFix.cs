using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0001: gives the page back on every leaking exit, to the pool it came from: <c>RecycleDirect</c> in a NAPI-safe
/// context, else <c>PutFullPage(page, allowDirect: false)</c>; a second action releases it from the pool and drops the
/// reference instead. Offered only when every exit the analyzer names can be fixed, so one fix ends the leak.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0001InsertPutCodeFix))]
[Shared]
public sealed class PP0001InsertPutCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0001PageLeak.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
            if (LeakRepair.Plan(root, model, diagnostic) is not { } plan)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    plan.PutTitle,
                    cancellationToken => plan.ApplyAsync(context.Document, release: false, cancellationToken),
                    EquivalenceKeys.InsertPut),
                diagnostic);
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Release '{plan.Page}' from its pool and drop it on every leaking path",
                    cancellationToken => plan.ApplyAsync(context.Document, release: true, cancellationToken),
                    EquivalenceKeys.InsertRelease),
                diagnostic);
        }
    }
}
