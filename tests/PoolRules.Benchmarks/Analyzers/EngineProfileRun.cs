using System;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- engine-profile [scale] [rounds] [--net-pools] [--floor | --driver]</c>:
/// PoolRules' analyzers alone, sequentially, on the leak-heavy code base (or the .NET pool code base), compiled and
/// emitted each round, with the split and the slowest analyzers of each round: a steady load to attach a profiler to
/// (<c>dotnet-trace collect -- …</c>, or the <c>DOTNET_EnableEventPipe</c> variables).
/// </summary>
public static class EngineProfileRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var netPools = args.Contains("--net-pools");
        var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        var scale = numbers.Length > 0 ? numbers[0] : 2;
        var rounds = numbers.Length > 1 ? numbers[1] : 10;
        var code = netPools
            ? NetPoolCodeGenerator.Generate(scale, CodeFlavor.NetPools)
            : DriverCodeGenerator.Generate(scale, CodeFlavor.Pages, leakHeavy: true);
        var leakId = netPools ? "PP0101" : "PP0001";
        // --floor: the CFG floor analyzer instead (graphs of every taking method); --driver: one that only asks the driver
        // for every operation block and builds nothing, what any operation-block analyzer pays.
        var analyzers = args.Contains("--floor") ? ImmutableArray.Create<DiagnosticAnalyzer>(netPools ? new ControlFlowGraphFloorAnalyzer("Rent", "Get") : new ControlFlowGraphFloorAnalyzer())
            : args.Contains("--driver") ? ImmutableArray.Create<DiagnosticAnalyzer>(new ControlFlowGraphFloorAnalyzer("\0"))
            : AnalyzerHarness.PoolRulesAnalyzers;
        for (var round = 0; round < rounds; round++)
        {
            var compilation = AnalyzerHarness.Compile(code);
            AnalyzerHarness.Emit(compilation);
            Array.Clear(PageFlowCache.Split);
            PageFlowCache.MeasureSplit = true;
            var run = await AnalyzerHarness.AnalyzeAsync(compilation, analyzers, concurrentAnalysis: false);
            PageFlowCache.MeasureSplit = false;
            var split = PageFlowCache.Split.Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();
            Console.WriteLine(
                $"round {round}: {run.ExecutionTime.TotalMilliseconds:F0} ms, {run.Allocated / 1e6:F0} MB allocated, GC pauses {run.GcPause.TotalMilliseconds:F0} ms; decide {split[0]:F0}, graph {split[1]:F0}, engine {split[2]:F0}, reporting {split[3]:F0}; " +
                $"{leakId} {run.Diagnostics.Count(d => d.Id == leakId)} / {code.SeededLeaks}, other PP {run.Diagnostics.Count(d => d.Id.StartsWith("PP", StringComparison.Ordinal) && d.Id != leakId)}, exceptions {run.Exceptions.Count}; " +
                string.Join(", ", run.PerAnalyzer.OrderByDescending(p => p.Value).Take(4).Select(p => $"{p.Key[..6]} {p.Value.TotalMilliseconds:F0}")));
        }

        return 0;
    }
}
