using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace PoolRules.Analyzers.Tests;

public sealed class ScratchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Dump()
    {
        var files = File.Exists("/tmp/scratch.dir")
            ? Directory.GetFiles(File.ReadAllText("/tmp/scratch.dir").Trim(), "*.cs").Select(f => (f, File.ReadAllText(f))).ToArray()
            : new[] { ("s.cs", File.ReadAllText("/tmp/scratch.cs")) };
        var comp = AllAnalyzers.Compile("x", TestReferences.All, files);
        foreach (var d in comp.GetDiagnostics().Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning)) output.WriteLine(d.ToString());
        var (diags, ex) = await AllAnalyzers.RunAsync(comp);
        foreach (var d in diags.Where(d => d.Id.StartsWith("PP") || d.Id == "AD0001")) output.WriteLine(d.ToString());
        foreach (var e in ex) output.WriteLine(e.ToString());
        foreach (var e in EngineFaults.Drain()) output.WriteLine(e.ToString());
    }
}
