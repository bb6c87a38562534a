using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace PoolRules.Analyzers.Tests;

public sealed class CorpusTests
{
    [Fact]
    public void Every_rule_of_this_assembly_is_loaded()
    {
        var ids = AllAnalyzers.Instances.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToHashSet();
        Assert.Superset(new[] { "PP0001", "PP0002", "PP0005", "PP0008" }.ToHashSet(), ids);
    }

    [Fact]
    public async Task ValidCode_driver_compiles_and_has_no_PoolRules_diagnostics_or_analyzer_exceptions()
    {
        var sources = AllAnalyzers.ValidCode();
        Assert.True(sources.Length >= 3, "the ValidCode corpus is embedded in the test assembly");
        var compilation = AllAnalyzers.Compile("ValidCode", TestReferences.All, sources);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        var found = diagnostics.Where(d => d.Id.StartsWith("PP", StringComparison.Ordinal) || d.Id == "AD0001").Select(d => d.ToString()).ToArray();
        Assert.True(found.Length == 0, string.Join("\n", found));
    }

    [Fact]
    public async Task ValidCode_with_one_rental_return_removed_is_caught()
    {
        // The same guard for the .NET pool rules: without the finally's Return the checksum buffer leaks (PP0101).
        const string Return = "            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);\n";
        var sources = AllAnalyzers.ValidCode().Select(s => (Path: s.Path, Text: s.Text.Replace(Return, "            Console.WriteLine(buffer.Length);\n"))).ToArray();
        Assert.Contains(AllAnalyzers.ValidCode(), s => s.Text.Contains(Return, StringComparison.Ordinal));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(AllAnalyzers.Compile("ValidCode", TestReferences.All, sources));

        Assert.Empty(exceptions);
        var leak = Assert.Single(diagnostics, d => d.Id.StartsWith("PP", StringComparison.Ordinal));
        Assert.Equal("PP0101", leak.Id);
        Assert.Equal("ArrayPool<byte>.Shared.Rent(frame.Length)", leak.Location.SourceTree!.GetText().ToString(leak.Location.SourceSpan));
    }

    [Fact]
    public async Task ValidCode_with_one_put_removed_is_caught()
    {
        // Guards the corpus test against passing because nothing ran: the same code with the drain's put removed leaks.
        var sources = AllAnalyzers.ValidCode()
            .Select(s => (Path: s.Path, Text: s.Text.Replace(
                "                _pool.PutFullPage(page, allowDirect: false);\n            }\n        }\n\n        var pending",
                "                Console.WriteLine(page.Length);\n            }\n        }\n\n        var pending")))
            .ToArray();
        Assert.Contains(sources, s => s.Text.Contains("Console.WriteLine(page.Length);\n            }\n        }\n\n        var pending", StringComparison.Ordinal));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(AllAnalyzers.Compile("ValidCode", TestReferences.All, sources));

        Assert.Empty(exceptions);
        var leak = Assert.Single(diagnostics, d => d.Id == "PP0001");
        Assert.Equal("_ring[i]", leak.Location.SourceTree!.GetText().ToString(leak.Location.SourceSpan));
    }

    [Fact]
    public async Task Compilation_without_the_runtime_gets_no_diagnostics_and_no_crash()
    {
        // Look-alike names in user code: without PoolRules.Runtime.PagePool nothing may be reported.
        var source = """
            namespace Other;
            public sealed class Page { public void Put() { } }
            public sealed class PagePool
            {
                public Page? DevAllocPages() => new Page();
                public void PutFullPage(Page page, bool allowDirect) { }
            }
            public static class User
            {
                public static void Leak(PagePool pool)
                {
                    var page = pool.DevAllocPages();
                    pool.PutFullPage(page!, false);
                    pool.PutFullPage(page!, false);
                }
            }
            """;
        var compilation = AllAnalyzers.Compile("NoRuntime", Net80.References.All.ToArray(), ("NoRuntime.cs", source));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(diagnostics.Where(d => d.Id.StartsWith("PP", StringComparison.Ordinal) || d.Id == "AD0001"));
    }

    [Fact]
    public async Task Runtime_source_itself_does_not_crash_the_analyzers()
    {
        // The runtime defines PagePool, so every rule is active over real pool internals: a robustness corpus.
        var root = FindRepositoryRoot();
        var files = Directory.GetFiles(Path.Combine(root, "runtime", "PoolRules.Runtime"), "*.cs", SearchOption.TopDirectoryOnly)
            .Select(f => (f, File.ReadAllText(f)))
            .ToArray();
        Assert.NotEmpty(files);
        var compilation = AllAnalyzers.Compile("PoolRules.Runtime", Net80.References.All.ToArray(), files);

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(EngineFaults.Drain());
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public async Task RxDriver_sample_has_no_PoolRules_diagnostics()
    {
        // The sample driver is correct code a user reads first: no rule may fire on it.
        var root = FindRepositoryRoot();
        var files = Directory.GetFiles(Path.Combine(root, "src", "Samples", "RxDriver"), "*.cs", SearchOption.TopDirectoryOnly)
            .Select(f => (f, File.ReadAllText(f)))
            .ToArray();
        Assert.NotEmpty(files);
        MetadataReference[] references = [.. TestReferences.All, MetadataReference.CreateFromFile(typeof(PoolRules.Xdp.XdpInterface).Assembly.Location)];
        var compilation = AllAnalyzers.Compile("RxDriver", references, files)
            .WithOptions(new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(diagnostics.Where(d => d.Id.StartsWith("PP", StringComparison.Ordinal) || d.Id == "AD0001").Select(d => d.ToString()));
    }

    internal static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PoolRules.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("PoolRules.sln not found above " + AppContext.BaseDirectory);
    }
}
