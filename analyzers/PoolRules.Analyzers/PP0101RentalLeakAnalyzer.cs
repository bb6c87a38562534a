using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>
/// PP0101: a value taken from a .NET pool that on some normal path is neither given back nor handed on. Reported at
/// the take (or the overwrite); the leaking exits are additional locations, as PP0001's are.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0101RentalLeakAnalyzer : PageFlowAnalyzer
{
    /// <summary>The .editorconfig key that turns on leaks that happen only when the method throws.</summary>
    internal const string ExceptionPathsKey = "dotnet_code_quality.PP0101.exception_paths";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0101RentalLeak);

    private protected override bool ForNetPools => true;

    internal override void Report(OperationBlockAnalysisContext context, PageFlowResult result)
    {
        bool? exceptionPaths = null;
        foreach (var leak in result.Leaks)
        {
            if (leak.Kind == PoolKind.Page)
            {
                continue;
            }

            var exits = leak.Exits;
            if (exits.Any(e => e.Kind == LeakExitKind.Throw))
            {
                exceptionPaths ??= ExceptionPaths(context);
                if (exceptionPaths == false)
                {
                    exits = exits.Where(e => e.Kind != LeakExitKind.Throw).ToImmutableArray();
                    if (exits.IsEmpty)
                    {
                        continue;
                    }
                }
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0101RentalLeak,
                leak.Allocation,
                exits.Select(e => e.Location),
                Subject(leak.Page),
                leak.How,
                exits[0].Describe()));
        }
    }

    /// <summary>"Rental 'buffer'": the value's name as the messages of PP0101-PP0104 say it.</summary>
    internal static string Subject(string name) => "Rental " + name;

    private static bool ExceptionPaths(in OperationBlockAnalysisContext context)
    {
        var tree = context.OperationBlocks[0].Syntax.SyntaxTree;
        return context.Options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue(ExceptionPathsKey, out var value)
            && bool.TryParse(value, out var on) && on;
    }
}
