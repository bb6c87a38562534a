using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>PP0102: a rental given back when on some path it was already given back. Reported at the second give-back; the first is an additional location, as PP0002's is.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0102DoubleGiveBackAnalyzer : PageFlowAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0102DoubleGiveBack);

    private protected override bool ForNetPools => true;

    internal override void Report(OperationBlockAnalysisContext context, PageFlowResult result)
    {
        foreach (var finding in result.DoublePuts)
        {
            if (finding.Kind == PoolKind.Page)
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0102DoubleGiveBack,
                finding.Call,
                Locations(finding.EarlierLocation),
                PP0101RentalLeakAnalyzer.Subject(finding.Page),
                PageFlowResult.Line(finding.EarlierLocation)));
        }
    }
}
