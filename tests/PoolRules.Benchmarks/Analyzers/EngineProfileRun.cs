using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- engine-profile [scale] [rounds]</c>: PoolRules'
/// analyzers alone, sequentially, on the leak-heavy code base (compiled and emitted once), round after round, with
/// the split of each round: a steady load to attach a profiler to (<c>dotnet-trace collect -- …</c>).
/// </summary>
public static class EngineProfileRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var scale = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var code = DriverCodeGenerator.Generate(scale, CodeFlavor.Pages, leakHeavy: true);
        for (var round = 0; round < rounds; round++)
        {
            var compilation = AnalyzerHarness.Compile(code);
            AnalyzerHarness.Emit(compilation);
            Array.Clear(PageFlowCache.Split);
            PageFlowCache.MeasureSplit = true;
            var run = await AnalyzerHarness.AnalyzeAsync(compilation, AnalyzerHarness.PoolRulesAnalyzers, concurrentAnalysis: false);
            PageFlowCache.MeasureSplit = false;
            var split = PageFlowCache.Split.Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();
            Console.WriteLine(
                $"round {round}: {run.ExecutionTime.TotalMilliseconds:F0} ms; decide {split[0]:F0}, graph {split[1]:F0}, engine {split[2]:F0}, reporting {split[3]:F0}; " +
                $"PP0001 {run.Diagnostics.Count(d => d.Id == "PP0001")} / {code.SeededLeaks}, other PP {run.Diagnostics.Count(d => d.Id.StartsWith("PP", StringComparison.Ordinal) && d.Id != "PP0001")}, exceptions {run.Exceptions.Count}");
        }

        return 0;
    }
}
