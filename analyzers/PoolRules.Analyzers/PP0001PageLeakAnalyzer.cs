using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>PP0001: a page that on some path is neither put, released nor handed on. Reported at the allocation; the leaking exits are additional locations.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0001PageLeakAnalyzer : PageFlowAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0001PageLeak);

    internal override void Report(OperationBlockAnalysisContext context, PageFlowResult result)
    {
        foreach (var leak in result.Leaks)
        {
            if (leak.Kind != PoolKind.Page)
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0001PageLeak,
                leak.Allocation,
                leak.Exits.Select(e => e.Location),
                leak.Page,
                leak.How,
                leak.Exits[0].Describe()));
        }
    }
}
