using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- analyzer-cost [scales] [--runs N]</c>: PoolRules'
/// analyzer time (as ReportAnalyzer reports it) against compile+emit time of the same generated driver code base,
/// median of several runs per size, and how both grow with the size.
/// </summary>
public static class AnalyzerCostReport
{
    public static async Task<int> RunAsync(string[] args)
    {
        var scales = new List<int>();
        var runs = 5;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--runs" && i + 1 < args.Length)
            {
                runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else
            {
                scales.Add(int.Parse(args[i], CultureInfo.InvariantCulture));
            }
        }

        if (scales.Count == 0)
        {
            scales.AddRange(new[] { 1, 2, 4 });
        }

        var report = new StringBuilder();
        report.AppendLine($"analyzers: {string.Join(", ", AnalyzerHarness.PoolRulesAnalyzers.Select(a => a.GetType().Name))}; median of {runs} runs");
        report.AppendLine();
        report.AppendLine("| scale | lines | methods | compile+emit ms | PoolRules analyzers ms | analyzers / compile | PP0001 found / seeded | other PP | AD0001 |");
        report.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        double? firstAnalyzer = null;
        int? firstLines = null;
        foreach (var scale in scales)
        {
            var code = DriverCodeGenerator.Generate(scale, CodeFlavor.Pages);
            var compile = new List<double>();
            var analyze = new List<double>();
            AnalyzerRun? last = null;
            for (var run = 0; run < runs + 1; run++)
            {
                AnalyzerHarness.Settle();
                var clock = Stopwatch.StartNew();
                AnalyzerHarness.Emit(AnalyzerHarness.Compile(code));
                var compileMs = clock.Elapsed.TotalMilliseconds;
                last = await AnalyzerHarness.AnalyzeAsync(AnalyzerHarness.Compile(code), AnalyzerHarness.PoolRulesAnalyzers);

                // The first run warms up the JIT and Roslyn's caches; it is not counted.
                if (run > 0)
                {
                    compile.Add(compileMs);
                    analyze.Add(last.ExecutionTime.TotalMilliseconds);
                }
            }

            var compileMedian = Median(compile);
            var analyzeMedian = Median(analyze);
            var leaks = last!.Diagnostics.Count(d => d.Id == "PP0001");
            var others = last.Diagnostics.Count(d => d.Id.StartsWith("PP", StringComparison.Ordinal) && d.Id != "PP0001");
            firstAnalyzer ??= analyzeMedian;
            firstLines ??= code.Lines;
            report.AppendLine(
                $"| {scale}x | {code.Lines:N0} | {code.Methods:N0} | {compileMedian:F0} | {analyzeMedian:F0} | {analyzeMedian / compileMedian:P1} | {leaks} / {code.SeededLeaks} | {others} | {last.Exceptions.Count} |");
            Console.WriteLine($"scale {scale}: growth of analyzer time vs 1x: {analyzeMedian / firstAnalyzer:F2}x for {(double)code.Lines / firstLines:F2}x the lines; last run per analyzer: " +
                string.Join(", ", last.PerAnalyzer.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value.TotalMilliseconds:F0} ms")));
            foreach (var ex in last.Exceptions.Take(3))
            {
                Console.WriteLine("analyzer exception: " + ex);
            }
        }

        Console.WriteLine(report);
        return 0;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}
