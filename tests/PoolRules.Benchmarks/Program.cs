using System;
using BenchmarkDotNet.Running;

namespace PoolRules.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- --filter '*'</c> runs every benchmark;
/// <c>--filter '*FastPath*'</c>, <c>'*RingPath*'</c>, <c>'*PtrRing*'</c>, <c>'*SlowPath*'</c> one class.
/// <c>-- analyzer-cost [scales] [--runs N]</c> measures the analyzers against compile+emit on generated driver code.
/// <c>-- analyzer-vs-ca2000 [scales] [--runs N] [--leak-heavy | --net-pools]</c> measures them side by side with CA2000 on the IDisposable twin (--leak-heavy: every method leaks twice; --net-pools: ArrayPool/MemoryPool/ObjectPool code, the PP0101-PP0105 rules).
/// <c>-- proof-coverage [scale]</c> shows which generated methods the clean-body proof spares the control flow graph.
/// <c>-- xdp [--seconds S] [--runs N] [--cpus RX,SRC]</c> measures the sample driver on AF_XDP against a bare ring loop (root).
/// <c>-- engine-profile [scale] [rounds]</c> runs PoolRules alone on the leak-heavy code round after round (a load to profile).
/// <c>-- engine-split [scale] [rounds]</c> times deciding, graphs, engine and reporting apart, in thread CPU time.
/// <c>-- real-repo PATH... [--rules PP0101,...] [--no-tests] [--out FILE.md]</c> runs every analyzer over a real project's checkout (findings, rentals seen, AD0001).
/// <c>-- fuzz [N] [--seed S]</c> runs N mutants of the analyzer tests' inputs through every analyzer (the long robustness run).
/// <c>--filter '*NapiLocal*'</c>, <c>'*BulkPut*'</c> the kernel 6.x put paths (NAPI-local recycling, bulk put).
/// <c>-- --interleaved fast|ring|slow|napi|bulk [rounds]</c> is the contention-robust cross-check (see <see cref="Interleaved"/>).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--interleaved")
        {
            Interleaved.Run(args.Length > 1 ? args[1] : "fast", args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 40);

            // The hand-off workers are background threads; nothing else to wait for.
            Environment.Exit(0);
        }

        if (args.Length > 0 && args[0] is "analyzer-cost" or "analyzer-vs-ca2000"
            && !System.Runtime.GCSettings.IsServerGC && Environment.GetEnvironmentVariable("DOTNET_gcServer") is null)
        {
            // `dotnet build` runs analyzers inside the compiler server (VBCSCompiler), which runs with server GC: the
            // analyzer reports measure under the same (DOTNET_gcServer=0 keeps this process's workstation GC instead).
            Environment.Exit(RunWithServerGc(args));
        }

        if (args.Length > 0 && args[0] == "analyzer-cost")
        {
            Environment.Exit(Analyzers.AnalyzerCostReport.RunAsync(args[1..]).GetAwaiter().GetResult());
        }

        if (args.Length > 0 && args[0] == "analyzer-vs-ca2000")
        {
            Environment.Exit(Analyzers.DisposalComparisonReport.RunAsync(args[1..]).GetAwaiter().GetResult());
        }

        if (args.Length > 0 && args[0] == "proof-coverage")
        {
            Environment.Exit(Analyzers.ProofCoverageReport.Run(args[1..]));
        }

        if (args.Length > 0 && args[0] == "xdp")
        {
            if (OperatingSystem.IsLinux())
            {
                Environment.Exit(Xdp.XdpReceiveReport.Run(args[1..]));
            }

            Console.Error.WriteLine("xdp: AF_XDP needs Linux");
            Environment.Exit(2);
        }

        if (args.Length > 0 && args[0] == "engine-profile")
        {
            Environment.Exit(Analyzers.EngineProfileRun.RunAsync(args[1..]).GetAwaiter().GetResult());
        }

        if (args.Length > 0 && args[0] == "engine-split")
        {
            Environment.Exit(Analyzers.EngineSplitBench.Run(args[1..]));
        }

        if (args.Length > 0 && args[0] == "real-repo")
        {
            Environment.Exit(Analyzers.RealRepoReport.RunAsync(args[1..]).GetAwaiter().GetResult());
        }

        if (args.Length > 0 && args[0] == "fuzz")
        {
            Environment.Exit(Analyzers.FuzzRun.RunAsync(args[1..]).GetAwaiter().GetResult());
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    private static int RunWithServerGc(string[] args)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var start = new System.Diagnostics.ProcessStartInfo(host) { UseShellExecute = false };
        if (System.IO.Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Started as `dotnet PoolRules.Benchmarks.dll`: the child needs the assembly too.
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_gcServer"] = "1";
        using var child = System.Diagnostics.Process.Start(start)!;
        child.WaitForExit();
        return child.ExitCode;
    }
}
