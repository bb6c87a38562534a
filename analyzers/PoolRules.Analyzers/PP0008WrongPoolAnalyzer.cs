using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>PP0008: a page put to a pool other than the one that allocated it, when both pools are named by known symbols. Reported at the put; the allocation is an additional location.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0008WrongPoolAnalyzer : PageFlowAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0008WrongPool);

    internal override void Report(OperationBlockAnalysisContext context, PageFlowResult result)
    {
        foreach (var finding in result.WrongPools)
        {
            if (finding.Kind != PoolKind.Page)
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0008WrongPool,
                finding.Call,
                Locations(finding.Allocation),
                finding.Page,
                finding.FromPool,
                finding.ToPool));
        }
    }
}
