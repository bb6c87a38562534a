using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Tasks;
using PoolRules.Analyzers.Fuzzing;
using PoolRules.Benchmarks.Analyzers;
using Xunit;

namespace PoolRules.Analyzers.Tests.Fuzz;

/// <summary>
/// Robustness on code no one here wrote: seeded mutants of every test input raise no analyzer exception, and real C#
/// that does not use pages gets no PP diagnostic. Bounded for CI; <c>dotnet run --project tests/PoolRules.Benchmarks -- fuzz N</c>
/// is the long run.
/// </summary>
public sealed class MutationFuzzTests
{
    /// <summary>Mutants per snippet of the analyzer tests, and per file of the corpus and the samples.</summary>
    private const int MutantsPerSnippet = 10;
    private const int MutantsPerFile = 80;

    static MutationFuzzTests()
    {
        // The other tests' fault hooks first, so the fuzzer's capture chains to them rather than being replaced.
        EngineFaults.Install();
        RuntimeHelpers.RunClassConstructor(typeof(RuleFaults).TypeHandle);
    }

    [Fact]
    public async Task Mutants_of_every_test_input_raise_no_analyzer_exception()
    {
        var fuzzer = new MutationFuzzer(seed: 7, TestReferences.All);
        var inputs = MutationFuzzer.TestInputs();
        Assert.True(inputs.Count > 200, $"only {inputs.Count} test inputs found");

        var failures = new List<string>();
        var mutants = 0;
        var crashed = 0;
        var crossChecked = PoolRules.Analyzers.Flow.PageFlowCache.CrossChecked;
        foreach (var (name, text) in inputs)
        {
            var count = name.Contains('#', StringComparison.Ordinal) ? MutantsPerSnippet : MutantsPerFile;
            for (var i = 0; i < count; i++)
            {
                var (mutant, how) = fuzzer.Mutate(text);
                var outcome = await fuzzer.RunAsync([(name, mutant)]);
                mutants++;
                crashed += outcome.Crashed ? 1 : 0;
                if (outcome.Crashed && failures.Count < 5)
                {
                    failures.Add($"{name}, mutant {i} ({how}):\n{string.Join("\n", outcome.AnalyzerExceptions.Concat(outcome.SwallowedExceptions).Select(e => e.ToString().Split('\n')[0] + "\n" + string.Join("\n", e.ToString().Split('\n').Skip(1).Take(4))))}");
                }
            }
        }

        Assert.True(mutants >= 3000, $"only {mutants} mutants");

        // Every body the clean-body proof accepted was also run through the engine (a disagreement is a crash above).
        Assert.True(PoolRules.Analyzers.Flow.PageFlowCache.CrossChecked - crossChecked > 2000, $"the clean-body proof accepted only {PoolRules.Analyzers.Flow.PageFlowCache.CrossChecked - crossChecked} mutant bodies");
        Assert.True(crashed == 0, $"{crashed} of {mutants} mutants crashed an analyzer, the first ones:\n\n" + string.Join("\n\n", failures));
    }

    [Fact]
    public async Task Unmutated_test_inputs_raise_no_analyzer_exception()
    {
        var fuzzer = new MutationFuzzer(seed: 1, TestReferences.All);
        foreach (var (name, text) in MutationFuzzer.TestInputs())
        {
            var outcome = await fuzzer.RunAsync([(name, text)]);

            Assert.False(outcome.Crashed, $"{name}: {string.Join("; ", outcome.AnalyzerExceptions.Concat(outcome.SwallowedExceptions))}");
        }
    }

    [Fact]
    public async Task Real_code_that_does_not_use_pages_gets_no_page_diagnostic()
    {
        // Compiled with the runtime referenced, so every analyzer is active: the analyzers' and fixes' own sources
        // (without their Roslyn references), the benchmarks that do not use the runtime, the C# that NuGet packages ship,
        // and the whole Polyfill source package (hundreds of files of someone else's C#).
        var root = MutationFuzzer.RepositoryRoot();
        var fuzzer = new MutationFuzzer(seed: 1, TestReferences.All);
        var sets = new Dictionary<string, IEnumerable<string>>
        {
            ["analyzers"] = MutationFuzzer.SourceFiles(Path.Combine(root, "analyzers")),
            ["codefixes"] = MutationFuzzer.SourceFiles(Path.Combine(root, "codefixes")),
            ["benchmarks"] = MutationFuzzer.SourceFiles(Path.Combine(root, "tests", "PoolRules.Benchmarks"))
                .Where(p => !File.ReadAllText(p).Contains("PoolRules.Runtime", StringComparison.Ordinal)),
            ["nuget"] = MutationFuzzer.SourceFiles(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")).Take(200),
            ["polyfill"] = MutationFuzzer.SourceFiles(PolyfillSources()),
        };

        var files = 0;
        foreach (var (set, paths) in sets)
        {
            var sources = paths.Select(p => (p, File.ReadAllText(p))).ToArray();
            files += sources.Length;
            var outcome = await fuzzer.RunAsync(sources);

            Assert.False(outcome.Crashed, $"{set}: {string.Join("; ", outcome.AnalyzerExceptions.Concat(outcome.SwallowedExceptions))}");
            Assert.Empty(outcome.PageDiagnostics);
        }

        Assert.True(files > 30, $"only {files} files");
    }

    [Fact]
    public void The_source_package_is_there_to_be_read() =>
        Assert.True(MutationFuzzer.SourceFiles(PolyfillSources()).Count() > 100, $"too few .cs files under {PolyfillSources()}");

    /// <summary>Where restore put the Polyfill source package (a build property baked into this assembly).</summary>
    private static string PolyfillSources() =>
        typeof(MutationFuzzTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => a.Key == "PolyfillSources").Value!;

    [Fact]
    public async Task Generated_programs_get_exactly_their_seeded_leaks()
    {
        var fuzzer = new MutationFuzzer(seed: 1, TestReferences.All);

        // The IDisposable twin uses no page at all; the page flavour seeds one leak per class and nothing else.
        var disposables = await fuzzer.RunAsync(DriverCodeGenerator.Generate(1, CodeFlavor.Disposables).Files);
        var pages = DriverCodeGenerator.Generate(1, CodeFlavor.Pages);
        var paged = await fuzzer.RunAsync(pages.Files);

        Assert.False(disposables.Crashed || paged.Crashed);
        Assert.Empty(disposables.PageDiagnostics);
        Assert.Equal(pages.SeededLeaks, paged.PageDiagnostics.Length);
        Assert.All(paged.PageDiagnostics, id => Assert.Equal("PP0001", id));
    }
}
