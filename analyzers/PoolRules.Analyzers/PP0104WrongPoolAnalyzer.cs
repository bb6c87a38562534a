using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>PP0104: a rental given back to another pool than the one it came from. Reported at the give-back; the take is an additional location, as PP0008's is.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0104WrongPoolAnalyzer : PageFlowAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0104WrongPool);

    private protected override bool ForNetPools => true;

    internal override void Report(OperationBlockAnalysisContext context, PageFlowResult result)
    {
        foreach (var finding in result.WrongPools)
        {
            if (finding.Kind == PoolKind.Page)
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0104WrongPool,
                finding.Call,
                Locations(finding.Allocation),
                PP0101RentalLeakAnalyzer.Subject(finding.Page),
                finding.FromPool,
                finding.ToPool));
        }
    }
}
