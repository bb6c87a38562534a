using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PoolRules.Analyzers;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- engine-split [scale] [rounds]</c>: the parts of
/// PoolRules' cost on the leak-heavy code base, each timed alone on one thread in that thread's CPU time (so the
/// machine's load does not enter), best of several rounds: deciding (pre-filter and clean-body proof), building the
/// control flow graphs, the engine on those graphs, and reporting (each finding made into its diagnostic and message).
/// The same binary run with another build of PoolRules.Analyzers.dll beside it measures that build.
/// </summary>
public static partial class EngineSplitBench
{
    public static int Run(string[] args)
    {
        var scale = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        var code = DriverCodeGenerator.Generate(scale, CodeFlavor.Pages, leakHeavy: true);
        var compilation = AnalyzerHarness.Compile(code);
        AnalyzerHarness.Emit(compilation);
        var known = KnownSymbols.For(compilation) ?? throw new InvalidOperationException("The generated code does not reference the runtime.");
        var bodies = new List<(IMethodBodyOperation Body, IMethodSymbol Method)>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                if (model.GetOperation(method) is IMethodBodyOperation body && model.GetDeclaredSymbol(method) is IMethodSymbol symbol)
                {
                    bodies.Add((body, symbol));
                }
            }
        }

        double bestDecide = double.MaxValue, bestGraph = double.MaxValue, bestEngine = double.MaxValue, bestReport = double.MaxValue;
        var leaks = 0;
        var others = 0;
        var provenBodies = 0;
        var engineCount = 0;
        for (var round = 0; round < rounds; round++)
        {
            AnalyzerHarness.Settle();
            var start = ThreadCpuMs();
            var engineBodies = new List<(IMethodBodyOperation Body, IMethodSymbol Method)>();
            var proven = new List<PageFlowResult>();
            foreach (var (body, method) in bodies)
            {
                if (!PageFlowCache.MayInvolvePages(body.Syntax, known))
                {
                    continue;
                }

                // As PageFlowCache does: the proof's own leaks where it names them exactly, the engine elsewhere.
                switch (CleanBodyProof.Judge(known, body, method, PageFlowCache.MayInvolveRentals(body.Syntax, known), reportLeaks: true, out var found))
                {
                    case CleanBodyProof.Verdict.Leaks:
                        proven.Add(found!);
                        break;
                    case CleanBodyProof.Verdict.Unknown:
                        engineBodies.Add((body, method));
                        break;
                }
            }

            bestDecide = Math.Min(bestDecide, ThreadCpuMs() - start);
            provenBodies = proven.Count;
            engineCount = engineBodies.Count;
            AnalyzerHarness.Settle();
            start = ThreadCpuMs();
            var graphs = new List<(ControlFlowGraph Graph, IMethodSymbol Method)>(engineBodies.Count);
            foreach (var (body, method) in engineBodies)
            {
                graphs.Add((ControlFlowGraph.Create(body), method));
            }

            bestGraph = Math.Min(bestGraph, ThreadCpuMs() - start);
            AnalyzerHarness.Settle();
            start = ThreadCpuMs();
            var results = new List<PageFlowResult>(proven);
            foreach (var (graph, method) in graphs)
            {
                var result = new PageFlowResult();
                PageFlowRun.AnalyzeGraph(known, graph, method.Parameters, result);
                results.Add(result);
            }

            bestEngine = Math.Min(bestEngine, ThreadCpuMs() - start);
            AnalyzerHarness.Settle();
            start = ThreadCpuMs();
            var messages = 0;
            foreach (var result in results)
            {
                foreach (var leak in result.Leaks)
                {
                    var diagnostic = Diagnostic.Create(Descriptors.PP0001PageLeak, leak.Allocation, leak.Exits.Select(e => e.Location), leak.Page, leak.How, leak.Exits[0].Describe());
                    messages += diagnostic.GetMessage(CultureInfo.InvariantCulture).Length > 0 ? 1 : 0;
                }
            }

            bestReport = Math.Min(bestReport, ThreadCpuMs() - start);
            leaks = results.Sum(r => r.Leaks.Count);
            others = results.Sum(r => r.DoublePuts.Count + r.UsesAfterPut.Count + r.WrongPools.Count);
        }

        Console.WriteLine($"{scale}x, {bodies.Count} methods, best of {rounds} rounds, thread CPU ms: decide {bestDecide:F0}, graph {bestGraph:F0}, engine {bestEngine:F0}, reporting {bestReport:F0}; engine / graph {bestEngine / Math.Max(bestGraph, 0.001):F2}; leaks {leaks} / {code.SeededLeaks}, other findings {others}; bodies whose leaks the proof reported {provenBodies}, left to the engine {engineCount}");
        return 0;
    }

    private static double ThreadCpuMs()
    {
        // CLOCK_THREAD_CPUTIME_ID: this thread's CPU time, whatever else the machine runs.
        if (ClockGetTime(3, out var time) != 0)
        {
            throw new InvalidOperationException("clock_gettime failed");
        }

        return (time.Seconds * 1000.0) + (time.Nanoseconds / 1e6);
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
