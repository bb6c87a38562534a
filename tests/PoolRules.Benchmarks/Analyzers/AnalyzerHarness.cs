using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using PoolRules.Runtime;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>Builds compilations of generated code and runs analyzers over them the way the compiler does.</summary>
public static class AnalyzerHarness
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>Every DiagnosticAnalyzer in PoolRules.Analyzers.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> PoolRulesAnalyzers { get; } = typeof(PoolRules.Analyzers.Descriptors).Assembly
        .GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    /// <summary>A fresh compilation (nothing bound yet) of the code base, against net10.0 like the runtime build this process loads, and Microsoft.Extensions.ObjectPool.</summary>
    public static CSharpCompilation Compile(GeneratedCodeBase code)
    {
        var trees = code.Files.Select(f => CSharpSyntaxTree.ParseText(f.Text, ParseOptions, path: f.Name));
        var references = Basic.Reference.Assemblies.Net100.References.All
            .Append(MetadataReference.CreateFromFile(typeof(PagePool).Assembly.Location))
            .Append(MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.ObjectPool.ObjectPool<>).Assembly.Location));
        return CSharpCompilation.Create(
            "Generated",
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <summary>Binds and emits; throws when the generated code does not compile (a generator bug).</summary>
    public static void Emit(CSharpCompilation compilation)
    {
        using var peStream = new MemoryStream();
        var result = compilation.Emit(peStream);
        if (!result.Success)
        {
            var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5);
            throw new InvalidOperationException("Generated code does not compile: " + string.Join("; ", errors));
        }
    }

    /// <summary>
    /// Runs the analyzers as the compiler does and returns their diagnostics and their execution time as
    /// <c>-p:ReportAnalyzer=true</c> reports it (the analyzer driver's own per-analyzer timing). With
    /// <paramref name="concurrentAnalysis"/> off the callbacks run one at a time, so their times do not include waiting
    /// for a core that the analyzers' own threads share (steadier on a busy machine).
    /// </summary>
    public static async Task<AnalyzerRun> AnalyzeAsync(
        Compilation compilation,
        ImmutableArray<DiagnosticAnalyzer> analyzers,
        AnalyzerConfigOptionsProvider? options = null,
        bool concurrentAnalysis = true)
    {
        // Each run starts from a collected heap, so one analyzer does not pay for the garbage of the run before it.
        Settle();
        var pausedBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var exceptions = new List<Exception>();
        var withAnalyzers = compilation.WithAnalyzers(
            analyzers,
            new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, options ?? EmptyOptions.Instance),
                onAnalyzerException: (ex, _, _) =>
                {
                    lock (exceptions)
                    {
                        exceptions.Add(ex);
                    }
                },
                concurrentAnalysis: concurrentAnalysis,
                logAnalyzerExecutionTime: true,
                reportSuppressedDiagnostics: false));
        // Background collections only while the analyzers run: a blocking gen2 collection of the whole compilation lands
        // in whichever callback allocates at that moment and swings one run by hundreds of milliseconds.
        var latency = GCSettings.LatencyMode;
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        ImmutableArray<Diagnostic> diagnostics;
        try
        {
            diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync().ConfigureAwait(false);
        }
        finally
        {
            GCSettings.LatencyMode = latency;
        }

        var perAnalyzer = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var analyzer in analyzers)
        {
            perAnalyzer[analyzer.GetType().Name] = (await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, default).ConfigureAwait(false)).ExecutionTime;
        }

        return new AnalyzerRun(diagnostics, perAnalyzer, exceptions, GC.GetTotalPauseDuration() - pausedBefore, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
    }

    /// <summary>A full, compacting collection: timings that follow start from the same heap.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private sealed class EmptyOptions : AnalyzerConfigOptionsProvider
    {
        public static readonly EmptyOptions Instance = new();

        public override AnalyzerConfigOptions GlobalOptions => Options.Instance;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Instance;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Instance;

        private sealed class Options : AnalyzerConfigOptions
        {
            public static readonly Options Instance = new();

            public override bool TryGetValue(string key, out string value)
            {
                value = string.Empty;
                return false;
            }
        }
    }
}

/// <summary>
/// What one analyzer run found and cost; <c>GcPause</c> is the process's GC pause time during the whole run and
/// <c>Allocated</c> the bytes the process allocated in it (driver and binding included in both).
/// </summary>
public sealed record AnalyzerRun(ImmutableArray<Diagnostic> Diagnostics, IReadOnlyDictionary<string, TimeSpan> PerAnalyzer, IReadOnlyList<Exception> Exceptions, TimeSpan GcPause, long Allocated)
{
    /// <summary>The analyzers' total execution time, the sum ReportAnalyzer prints.</summary>
    public TimeSpan ExecutionTime => PerAnalyzer.Values.Aggregate(TimeSpan.Zero, (sum, t) => sum + t);
}

/// <summary>.editorconfig options from a dictionary, the same for every file: what the reports pass to the analyzers.</summary>
internal sealed class DictionaryOptions(Dictionary<string, string> values) : AnalyzerConfigOptionsProvider
{
    private readonly Options _options = new(values);

    public override AnalyzerConfigOptions GlobalOptions => _options;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _options;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _options;

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}
