using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- analyzer-vs-ca2000 [scales] [--runs N] [--sequential] [--cold] [--leak-heavy | --net-pools]</c>: PoolRules'
/// analyzers on the page flavour of the generated driver code base (<c>--net-pools</c>: on the .NET pool code base of
/// <see cref="NetPoolCodeGenerator"/>, where PP0101-PP0105 do the work) against CA2000 (Microsoft.CodeAnalysis.NetAnalyzers)
/// on its IDisposable twin, in one process, each size measured as the median of several interleaved runs: analyzer
/// time as <c>-p:ReportAnalyzer=true</c> reports it, compile+emit time, both ratios, the growth from one size to the
/// next, and each analyzer's findings against the seeded leaks. A third analyzer that only builds the control flow
/// graph of every allocating method is the floor any CFG-based analysis pays. <c>--sequential</c> runs the analyzer
/// callbacks one at a time (concurrentAnalysis off): on a shared machine the concurrent times swing with the load.
/// </summary>
public static class DisposalComparisonReport
{
    /// <summary>
    /// CA2000 is off by default; passing a buffer to a method (<c>_stack.Receive(page)</c>) hands it over, as
    /// <c>[TakesPageOwnership]</c> does for pages, so both analyzers are asked the same question.
    /// </summary>
    private static readonly Dictionary<string, string> Ca2000Options = new(StringComparer.Ordinal)
    {
        ["dotnet_diagnostic.CA2000.severity"] = "warning",
        ["dotnet_code_quality.CA2000.dispose_ownership_transfer_at_method_call"] = "true",
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var scales = new List<int>();
        var runs = 5;
        var concurrent = true;
        var cold = false;
        var leakHeavy = false;
        var netPools = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--leak-heavy")
            {
                leakHeavy = true;
            }
            else if (args[i] == "--net-pools")
            {
                netPools = true;
            }
            else if (args[i] == "--sequential")
            {
                concurrent = false;
            }
            else if (args[i] == "--cold")
            {
                cold = true;
            }
            else if (args[i] == "--runs" && i + 1 < args.Length)
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
            scales.AddRange(new[] { 1, 2, 4, 8 });
        }

        var ca2000 = LoadCa2000();
        if (netPools && leakHeavy)
        {
            Console.Error.WriteLine("analyzer-vs-ca2000: --leak-heavy is a shape of the page code base; --net-pools has its own");
            return 2;
        }

        GeneratedCodeBase Generate(int scale, bool pooled) => netPools
            ? NetPoolCodeGenerator.Generate(scale, pooled ? CodeFlavor.NetPools : CodeFlavor.Disposables)
            : DriverCodeGenerator.Generate(scale, pooled ? CodeFlavor.Pages : CodeFlavor.Disposables, leakHeavy);
        var leakId = netPools ? "PP0101" : "PP0001";
        var floor = ImmutableArray.Create<DiagnosticAnalyzer>(netPools ? new ControlFlowGraphFloorAnalyzer("Rent", "Get") : new ControlFlowGraphFloorAnalyzer());
        var options = new DictionaryOptions(Ca2000Options);
        var report = new StringBuilder();
        report.AppendLine($"PoolRules analyzers ({(netPools ? ".NET pool flavour" : "page flavour")}{(leakHeavy ? ", every method two leaks" : "")}) vs {ca2000[0].GetType().Name} from Microsoft.CodeAnalysis.NetAnalyzers (IDisposable flavour); median of {runs} runs; times as ReportAnalyzer reports them, {(concurrent ? "concurrent" : "sequential")} analysis, {(cold ? "on a fresh compilation" : "on the compilation just emitted, as in a build")}, {(System.Runtime.GCSettings.IsServerGC ? "server GC (as the compiler server)" : "workstation GC")}");
        report.AppendLine();
        report.AppendLine($"| scale | lines | compile+emit ms | PoolRules ms | PoolRules min–max ms | CA2000 ms | CFG floor ms | PoolRules / CA2000 | PoolRules / compile | CA2000 / compile | {leakId} found / seeded | CA2000 found / seeded | other PP | AD0001 |");
        report.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        var growth = new StringBuilder();
        (int Lines, double PoolRules, double Ca2000, double Compile)? previous = null;
        var splitReport = new StringBuilder();
        splitReport.AppendLine("| scale | PoolRules ms | decide ms | graph ms | engine ms | reporting ms | rest ms | CFG floor ms |");
        splitReport.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        // A process-wide warm-up, so the sizes measured first do not carry the JIT's tiering (a compiler server that has
        // been up for a while runs tier-1 code): four rounds at 2x of everything that is measured.
        var warmUpPages = Generate(2, pooled: true);
        var warmUpDisposables = Generate(2, pooled: false);
        for (var i = 0; i < 4; i++)
        {
            await AnalyzerHarness.AnalyzeAsync(Prepared(AnalyzerHarness.Compile(warmUpPages), cold), AnalyzerHarness.PoolRulesAnalyzers, concurrentAnalysis: concurrent);
            await AnalyzerHarness.AnalyzeAsync(Prepared(WithCa2000(AnalyzerHarness.Compile(warmUpDisposables)), cold), ca2000, options, concurrent);
            await AnalyzerHarness.AnalyzeAsync(Prepared(AnalyzerHarness.Compile(warmUpPages), cold), floor, concurrentAnalysis: concurrent);
        }

        foreach (var scale in scales)
        {
            var pages = Generate(scale, pooled: true);
            var disposables = Generate(scale, pooled: false);
            var compile = new List<double>();
            var poolRules = new List<double>();
            var disposal = new List<double>();
            var floorTimes = new List<double>();
            var splits = new List<double[]>();
            AnalyzerRun? lastPages = null;
            AnalyzerRun? lastDisposables = null;
            for (var run = 0; run < runs + 1; run++)
            {
                AnalyzerHarness.Settle();
                var clock = Stopwatch.StartNew();
                var pagesCompilation = AnalyzerHarness.Compile(pages);
                AnalyzerHarness.Emit(pagesCompilation);
                var compileMs = clock.Elapsed.TotalMilliseconds;
                Array.Clear(PageFlowCache.Split);
                PageFlowCache.MeasureSplit = true;
                lastPages = await AnalyzerHarness.AnalyzeAsync(cold ? AnalyzerHarness.Compile(pages) : pagesCompilation, AnalyzerHarness.PoolRulesAnalyzers, concurrentAnalysis: concurrent);
                PageFlowCache.MeasureSplit = false;
                var split = PageFlowCache.Split.Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();
                lastDisposables = await AnalyzerHarness.AnalyzeAsync(Prepared(WithCa2000(AnalyzerHarness.Compile(disposables)), cold), ca2000, options, concurrent);
                var floorRun = await AnalyzerHarness.AnalyzeAsync(Prepared(AnalyzerHarness.Compile(pages), cold), floor, concurrentAnalysis: concurrent);

                // The first run warms up the JIT and Roslyn's caches; it is not counted.
                if (run > 0)
                {
                    compile.Add(compileMs);
                    poolRules.Add(lastPages.ExecutionTime.TotalMilliseconds);
                    disposal.Add(lastDisposables.ExecutionTime.TotalMilliseconds);
                    floorTimes.Add(floorRun.ExecutionTime.TotalMilliseconds);
                    splits.Add(split.Append(lastPages.ExecutionTime.TotalMilliseconds - split.Sum()).ToArray());
                }
            }

            var compileMs50 = Median(compile);
            var poolRulesMs = Median(poolRules);
            var ca2000Ms = Median(disposal);
            var leaks = lastPages!.Diagnostics.Count(d => d.Id == leakId);
            var others = lastPages.Diagnostics.Count(d => d.Id.StartsWith("PP", StringComparison.Ordinal) && d.Id != leakId);
            var disposalLeaks = lastDisposables!.Diagnostics.Count(d => d.Id == "CA2000");
            var exceptions = lastPages.Exceptions.Count + lastDisposables.Exceptions.Count;
            var row =
                $"| {scale}x | {pages.Lines:N0} | {compileMs50:F0} | {poolRulesMs:F0} | {poolRules.Min():F0}–{poolRules.Max():F0} | {ca2000Ms:F0} | {Median(floorTimes):F0} | {poolRulesMs / ca2000Ms:F2} | {poolRulesMs / compileMs50:P1} | {ca2000Ms / compileMs50:P0} | {leaks} / {pages.SeededLeaks} | {disposalLeaks} / {disposables.SeededLeaks} | {others} | {exceptions} |";
            report.AppendLine(row);

            // Each size's row as soon as it is measured: the large sizes take minutes on a shared machine.
            Console.WriteLine(row);
            if (previous is { } last)
            {
                growth.AppendLine(
                    $"- {scale}x vs previous: {(double)pages.Lines / last.Lines:F2}x the lines; PoolRules {poolRulesMs / last.PoolRules:F2}x, CA2000 {ca2000Ms / last.Ca2000:F2}x, compile+emit {compileMs50 / last.Compile:F2}x");
            }

            previous = (pages.Lines, poolRulesMs, ca2000Ms, compileMs50);
            var parts = Enumerable.Range(0, 5).Select(p => Median(splits.Select(x => x[p]).ToList())).ToArray();
            splitReport.AppendLine($"| {scale}x | {poolRulesMs:F0} | {parts[0]:F0} | {parts[1]:F0} | {parts[2]:F0} | {parts[3]:F0} | {parts[4]:F0} | {Median(floorTimes):F0} |");
            Console.WriteLine($"scale {scale}: GC pauses in the last runs: PoolRules {lastPages.GcPause.TotalMilliseconds:F0} ms, CA2000 {lastDisposables.GcPause.TotalMilliseconds:F0} ms");
            Console.WriteLine($"scale {scale} done; PoolRules last run per analyzer: " +
                string.Join(", ", lastPages.PerAnalyzer.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value.TotalMilliseconds:F0} ms")));
            foreach (var exception in lastPages.Exceptions.Concat(lastDisposables.Exceptions).Take(3))
            {
                Console.WriteLine("analyzer exception: " + exception);
            }
        }

        Console.WriteLine(report);
        Console.WriteLine("PoolRules split per run (medians, ms): pre-filter and proof, graph, engine, the rules' reporting, the rest (driver, callbacks, rules' own work):");
        Console.WriteLine(splitReport);
        Console.WriteLine("Growth per size step:");
        Console.WriteLine(growth);
        return 0;
    }

    /// <summary>
    /// In a build the analyzers run on the compilation the compiler is emitting, so the work every consumer of a
    /// compilation does once (decoding referenced metadata, well-known members) is the compiler's. Emitting first gives the
    /// analyzers that compilation; <c>--cold</c> analyses a fresh one instead, where the first analyzer to touch a
    /// reference pays for decoding it.
    /// </summary>
    private static CSharpCompilation Prepared(CSharpCompilation compilation, bool cold)
    {
        if (!cold)
        {
            AnalyzerHarness.Emit(compilation);
        }

        return compilation;
    }

    /// <summary>CA2000 is disabled by default; the compiler turns <c>dotnet_diagnostic.CA2000.severity</c> into this.</summary>
    private static CSharpCompilation WithCa2000(CSharpCompilation compilation) =>
        compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem("CA2000", ReportDiagnostic.Warn)));

    /// <summary>The analyzer of Microsoft.CodeAnalysis.NetAnalyzers that reports CA2000, loaded from the downloaded package.</summary>
    private static ImmutableArray<DiagnosticAnalyzer> LoadCa2000()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "NetAnalyzers");
        var loader = new Loader();
        var analyzers = Directory.GetFiles(folder, "*.dll")
            .SelectMany(path => new AnalyzerFileReference(path, loader).GetAnalyzers(LanguageNames.CSharp))
            .Where(a => a.SupportedDiagnostics.Any(d => d.Id == "CA2000"))
            .ToImmutableArray();
        if (analyzers.IsEmpty)
        {
            throw new InvalidOperationException($"No analyzer reporting CA2000 in {folder}; build the benchmark project to download Microsoft.CodeAnalysis.NetAnalyzers.");
        }

        return analyzers;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private sealed class Loader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }
}

/// <summary>
/// The floor of any analysis built on Roslyn's control flow graph: builds the graph of every method body that allocates
/// a page (the methods PoolRules' dataflow has to run on), or calls one of the given take methods, and does nothing else.
/// </summary>
#pragma warning disable RS1001, RS1036, RS2008 // A measuring stick run in-process by the benchmark, never shipped or loaded by a compiler.
public sealed class ControlFlowGraphFloorAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1001, RS1036, RS2008
{
#pragma warning disable RS2008
    private static readonly DiagnosticDescriptor Unused = new("FLOOR01", "CFG floor", "unused", "Benchmark", DiagnosticSeverity.Hidden, isEnabledByDefault: true);
#pragma warning restore RS2008

    private readonly string[] _takes;

    public ControlFlowGraphFloorAnalyzer()
        : this("AllocPages", "DevAllocPages", "AllocFrag")
    {
    }

    public ControlFlowGraphFloorAnalyzer(params string[] takes) => _takes = takes;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Unused);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(block =>
        {
            foreach (var operation in block.OperationBlocks)
            {
                if (operation is IMethodBodyOperation or IBlockOperation && Allocates(operation.Syntax))
                {
                    _ = block.GetControlFlowGraph(operation);
                }
            }
        });
    }

    private bool Allocates(SyntaxNode body)
    {
        foreach (var node in body.DescendantNodes())
        {
            if (node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } && Array.IndexOf(_takes, access.Name.Identifier.ValueText) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
