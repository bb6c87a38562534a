using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using PoolRules.Analyzers.Fuzzing;
using PoolRules.Runtime;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- fuzz [N] [--seed S]</c>: the long run of the analyzer
/// tests' mutation fuzzer: N mutants (default 20,000) of random test inputs, each run through every analyzer; every
/// mutant that crashes an analyzer (AD0001, an exception an analysis swallowed, or a body the clean-body proof accepted
/// and the engine reports on) is written to fuzz-crashes/.
/// </summary>
public static class FuzzRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var mutants = 20_000;
        var seed = Environment.TickCount;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seed" && i + 1 < args.Length)
            {
                seed = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else
            {
                mutants = int.Parse(args[i], CultureInfo.InvariantCulture);
            }
        }

        var references = Basic.Reference.Assemblies.Net100.References.All.Append(MetadataReference.CreateFromFile(typeof(PagePool).Assembly.Location));
        var fuzzer = new MutationFuzzer(seed, references);

        // Every body the clean-body proof accepts is run through the engine too; a disagreement is a crash.
        PoolRules.Analyzers.Flow.PageFlowCache.CrossCheck = true;
        var inputs = MutationFuzzer.TestInputs();
        var random = new Random(seed);
        var output = Path.Combine(Environment.CurrentDirectory, "fuzz-crashes");
        var crashed = 0;
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"fuzz: {mutants:N0} mutants of {inputs.Count} test inputs, seed {seed}");
        for (var n = 1; n <= mutants; n++)
        {
            var (name, text) = inputs[random.Next(inputs.Count)];
            var (mutant, how) = fuzzer.Mutate(text);
            var outcome = await fuzzer.RunAsync([(name, mutant)]);
            if (outcome.Crashed)
            {
                crashed++;
                Directory.CreateDirectory(output);
                var file = Path.Combine(output, $"crash-{seed}-{n}.cs");
                var first = outcome.AnalyzerExceptions.Concat(outcome.SwallowedExceptions).First();
                await File.WriteAllTextAsync(file, $"// {name}: {how}\n/* {first} */\n{mutant}");
                Console.WriteLine($"crash {crashed} at mutant {n} ({name}: {how}): {first.GetType().Name}: {first.Message} -> {file}");
            }

            if (n % 1000 == 0)
            {
                Console.WriteLine($"{n:N0} mutants, {crashed} crashed, {clock.Elapsed.TotalSeconds:F0} s");
            }
        }

        Console.WriteLine($"fuzz: {mutants:N0} mutants, {crashed} crashed, {PoolRules.Analyzers.Flow.PageFlowCache.CrossChecked:N0} proof-accepted bodies confirmed by the engine, {clock.Elapsed.TotalSeconds:F0} s, seed {seed}");
        return crashed == 0 ? 0 : 1;
    }
}
