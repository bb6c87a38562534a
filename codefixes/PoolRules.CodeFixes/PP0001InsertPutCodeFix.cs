using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0001: gives the page back on every leaking path, to the pool it came from (<c>page.Pool!</c> when the allocation
/// does not name one): <c>RecycleDirect</c> in a NAPI-safe context, else <c>PutFullPage(page, allowDirect: false)</c>;
/// a second action releases it from the pool and drops the reference instead. Offered only when the engine and the
/// compiler accept the result (see <see cref="LeakRepair"/>), so one fix ends the leak and starts nothing new.
/// PP0101, the same leak of a .NET rental, gets the same repair with that pool's give-back: <c>pool.Return(array)</c>
/// to the pool the take named, <c>obj</c> back to its ObjectPool, <c>owner.Dispose()</c> for a MemoryPool owner; a
/// second action puts the rest of the block in <c>try</c> and gives it back once in the <c>finally</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0001InsertPutCodeFix))]
[Shared]
public sealed class PP0001InsertPutCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0001PageLeak.Id, Descriptors.PP0101RentalLeak.Id);

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
            if (LeakRepair.Plan(root, model, diagnostic, context.CancellationToken) is not { } plan)
            {
                continue;
            }

            // FindAsync verifies every attempt and returns only one that passed.
            var rental = diagnostic.Id == Descriptors.PP0101RentalLeak.Id;
            VerifiedFixes.RegisterProven(context, diagnostic, plan.PutTitle, rental ? EquivalenceKeys.InsertGiveBack : EquivalenceKeys.InsertPut,
                await plan.FindAsync(context.Document, diagnostic, release: false, context.CancellationToken).ConfigureAwait(false));
            if (plan.WrapTitle is { } wrapTitle)
            {
                VerifiedFixes.RegisterProven(context, diagnostic, wrapTitle, EquivalenceKeys.WrapInTryFinally,
                    await plan.WrapAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false));
            }

            if (plan.ReleaseTitle is { } releaseTitle)
            {
                VerifiedFixes.RegisterProven(context, diagnostic, releaseTitle, EquivalenceKeys.InsertRelease,
                    await plan.FindAsync(context.Document, diagnostic, release: true, context.CancellationToken).ConfigureAwait(false));
            }
        }
    }
}
