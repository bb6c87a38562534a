using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>
/// The shared shape of the page lifetime rules: resolve the runtime once per compilation, ask the engine for the
/// (cached) dataflow result of each operation block, and let the rule report what concerns it.
/// </summary>
public abstract class PageFlowAnalyzer : DiagnosticAnalyzer
{
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        // Generated code is skipped below, as GeneratedCodeAnalysisFlags.None would, but without the driver's check of
        // every reported diagnostic (see GeneratedCode).
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.RegisterCompilationStartAction(start =>
        {
            // The page rules need the runtime; the .NET pool rules need one of .NET's pools: each is free elsewhere.
            var known = KnownSymbols.ForAnyPool(start.Compilation);
            if (known is null || (ForNetPools ? known.NetPools is null : !known.HasPages))
            {
                return;
            }

            start.RegisterOperationBlockAction(block =>
            {
                var owner = block.OwningSymbol as IMethodSymbol;
                bool? generated = null;
                foreach (var operation in block.OperationBlocks)
                {
                    // Method bodies arrive as a block (or a method/constructor body); attributes and parameter defaults hold no pages.
                    if (operation is not (IBlockOperation or IMethodBodyOperation or IConstructorBodyOperation or IFieldInitializerOperation or IPropertyInitializerOperation))
                    {
                        continue;
                    }

                    // The pre-filter first: a body it rules out has nothing to report, generated or not, and asking it is
                    // cheaper than the generated-code check (the symbol's attributes) and the results cache.
                    if (!known.Flow.MayBeInvolved(operation, owner))
                    {
                        continue;
                    }

                    generated ??= GeneratedCode.Contains(block.OwningSymbol, block.OperationBlocks[0].Syntax.SyntaxTree, block.Options, block.Compilation, known.GeneratedTrees, block.CancellationToken);
                    if (generated.Value)
                    {
                        return;
                    }

                    var result = known.Flow.Get(operation, owner, block);
                    if (!ReferenceEquals(result, PageFlowResult.Empty))
                    {
                        var started = PageFlowCache.MeasureSplit ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                        Report(block, result);
                        if (PageFlowCache.MeasureSplit)
                        {
                            PageFlowCache.AddSplit(3, started);
                        }
                    }
                }
            });
        });
    }

    /// <summary>A rule about .NET's pools (PP0101-PP0104) rather than about pages.</summary>
    private protected virtual bool ForNetPools => false;

    internal abstract void Report(OperationBlockAnalysisContext context, PageFlowResult result);

    internal static ImmutableArray<Location> Locations(params Location[] locations) => ImmutableArray.Create(locations);
}
