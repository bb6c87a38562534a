using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>PP0002: a put or release of a page that on some path was already put or released. Reported at the second call; the first is an additional location.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0002DoublePutAnalyzer : PageFlowAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0002DoublePut);

    internal override void Report(OperationBlockAnalysisContext context, PageFlowResult result)
    {
        foreach (var finding in result.DoublePuts)
        {
            if (finding.Kind != PoolKind.Page)
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0002DoublePut,
                finding.Call,
                Locations(finding.EarlierLocation),
                finding.Page,
                Verb(finding.Now),
                PageFlowResult.Describe(finding.Earlier),
                PageFlowResult.Line(finding.EarlierLocation)));
        }
    }

    private static string Verb(PageState state) => state switch
    {
        PageState.Released => "released",
        PageState.Dropped => "dropped with Page.Put()",
        _ => "put back",
    };
}
