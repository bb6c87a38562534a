using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PoolRules.Analyzers;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- proof-coverage [scale] [--net-pools]</c>: for every
/// method of the generated driver code base (or the .NET pool one), whether the pre-filter lets it through and whether <see cref="CleanBodyProof"/>
/// then spares it the control flow graph, by method shape. The seeded leaks must all go to the engine.
/// </summary>
public static class ProofCoverageReport
{
    public static int Run(string[] args)
    {
        var netPools = args.Contains("--net-pools");
        args = args.Where(a => a != "--net-pools").ToArray();
        var scale = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        var compilation = AnalyzerHarness.Compile(netPools ? NetPoolCodeGenerator.Generate(scale, CodeFlavor.NetPools) : DriverCodeGenerator.Generate(scale, CodeFlavor.Pages));
        var known = KnownSymbols.For(compilation) ?? throw new InvalidOperationException("The generated code does not reference the runtime.");
        var bodies = new List<(IMethodBodyOperation Body, IMethodSymbol? Method)>();
        var rows = new SortedDictionary<string, (int Methods, int Filtered, int Proven)>(StringComparer.Ordinal);
        var giveUps = new SortedDictionary<string, SortedDictionary<string, int>>(StringComparer.Ordinal);
        CleanBodyProof.TraceGiveUps = true;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                var shape = new string(method.Identifier.ValueText.TakeWhile(char.IsLetter).ToArray());
                var row = rows.TryGetValue(shape, out var existing) ? existing : default;
                row.Methods++;
                if (model.GetOperation(method) is IMethodBodyOperation body && PageFlowCache.MayInvolvePages(body.Syntax, known))
                {
                    row.Filtered++;
                    bodies.Add((body, model.GetDeclaredSymbol(method) as IMethodSymbol));
                    CleanBodyProof.LastGiveUp = null;
                    if (CleanBodyProof.Holds(known, body, model.GetDeclaredSymbol(method) as IMethodSymbol))
                    {
                        row.Proven++;
                    }
                    else
                    {
                        var where = CleanBodyProof.LastGiveUp ?? "a final state owns a page";
                        var sites = giveUps.TryGetValue(shape, out var known2) ? known2 : giveUps[shape] = new SortedDictionary<string, int>(StringComparer.Ordinal);
                        sites[where] = sites.TryGetValue(where, out var n) ? n + 1 : 1;
                    }
                }

                rows[shape] = row;
            }
        }

        Console.WriteLine($"Clean-body proof on generated {(netPools ? ".NET pool" : "driver")} code, scale {scale}");
        Console.WriteLine();
        Console.WriteLine("| method shape | methods | pass the page pre-filter | proven clean (no graph) |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var (shape, row) in rows)
        {
            Console.WriteLine($"| {shape} | {row.Methods} | {row.Filtered} | {row.Proven} |");
        }

        Console.WriteLine();
        Console.WriteLine("| method shape | where the proof gave up (bodies) |");
        Console.WriteLine("| --- | --- |");
        foreach (var (shape, sites) in giveUps)
        {
            Console.WriteLine($"| {shape} | {string.Join(", ", sites.Select(s => $"{s.Key} ({s.Value})"))} |");
        }

        CleanBodyProof.TraceGiveUps = false;
        var total = rows.Values.Aggregate((Methods: 0, Filtered: 0, Proven: 0), (sum, r) => (sum.Methods + r.Methods, sum.Filtered + r.Filtered, sum.Proven + r.Proven));
        Console.WriteLine($"| all | {total.Methods} | {total.Filtered} | {total.Proven} ({(double)total.Proven / Math.Max(1, total.Filtered):P0} of the filtered) |");

        // The proof alone, on trees already built, so neither binding nor the driver is in the figure.
        for (var round = 0; round < 5; round++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var proven = 0;
            foreach (var (body, method) in bodies)
            {
                proven += CleanBodyProof.Holds(known, body, method) ? 1 : 0;
            }

            Console.WriteLine($"round {round}: {bodies.Count} bodies, {proven} proven, {clock.Elapsed.TotalMilliseconds:F1} ms ({clock.Elapsed.TotalMilliseconds * 1000 / Math.Max(1, bodies.Count):F1} us and {(GC.GetAllocatedBytesForCurrentThread() - allocated) / Math.Max(1, bodies.Count):N0} B per body)");
        }

        return 0;
    }
}
