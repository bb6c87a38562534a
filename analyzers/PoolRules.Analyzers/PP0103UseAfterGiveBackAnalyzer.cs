using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>
/// PP0103: a rental, or a view of it, used after it was given back; or one (or a task using one) that escapes a scope
/// whose end gives it back. Reported at the use or the escape; the give-back is an additional location, as PP0005's is.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0103UseAfterGiveBackAnalyzer : PageFlowAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0103UseAfterGiveBack);

    private protected override bool ForNetPools => true;

    internal override void Report(OperationBlockAnalysisContext context, PageFlowResult result)
    {
        foreach (var finding in result.UsesAfterPut)
        {
            if (finding.Kind == PoolKind.Page)
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0103UseAfterGiveBack,
                finding.Use,
                Locations(finding.EarlierLocation),
                PP0101RentalLeakAnalyzer.Subject(finding.Page),
                finding.Escape switch
                {
                    RentalEscape.Escapes => "escapes here, but the scope it escapes gives it back to its pool",
                    RentalEscape.GivenBackWhileStored => "is given back here while it stays stored where it outlives the method, since",
                    _ => "is used here after it was given back to its pool",
                },
                PageFlowResult.Line(finding.EarlierLocation)));
        }
    }
}
