using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>PP0005: a use of a page that on every path leading there was put back or had its last reference dropped. Reported at the use; the put is an additional location.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0005UseAfterPutAnalyzer : PageFlowAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0005UseAfterPut);

    internal override void Report(OperationBlockAnalysisContext context, PageFlowResult result)
    {
        foreach (var finding in result.UsesAfterPut)
        {
            if (finding.Kind != PoolKind.Page)
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0005UseAfterPut,
                finding.Use,
                Locations(finding.EarlierLocation),
                finding.Page,
                PageFlowResult.Describe(finding.Earlier),
                PageFlowResult.Line(finding.EarlierLocation)));
        }
    }
}
