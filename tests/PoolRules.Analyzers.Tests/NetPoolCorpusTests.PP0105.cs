using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace PoolRules.Analyzers.Tests;

public sealed partial class NetPoolCorpusTests
{
    /// <summary>
    /// PP0105 over every corpus file: exactly the lines marked <c>// expect: PP0105</c> in <c>Buggy</c>, nothing in
    /// <c>Fixed</c> (nor anywhere else), so the naive-analyzer traps of the README stay quiet too.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public async Task PP0105_raises_exactly_the_marked_lines_of_Buggy_and_nothing_in_Fixed(string file)
    {
        var text = File.ReadAllText(Path.Combine(CorpusDirectory, file));
        var tree = CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest), path: file);
        var compilation = CSharpCompilation.Create(
            "NetPoolCorpus_PP0105",
            [tree],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var analyzer = new PP0105PooledFieldGivenBackTwiceAnalyzer();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<System.Exception>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), (e, _, _) => errors.Enqueue(e), concurrentAnalysis: true, logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(analyzer), options).GetAnalyzerDiagnosticsAsync();
        Assert.Empty(errors);

        var root = tree.GetCompilationUnitRoot();
        var expected = root.DescendantTrivia()
            .Where(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) && Marker().Match(t.ToString()) is { Success: true } m && m.Groups[1].Value == "PP0105")
            .Select(t => t.GetLocation().GetLineSpan().StartLinePosition.Line + 1)
            .OrderBy(l => l)
            .ToArray();
        var actual = diagnostics.Where(d => d.Id == "PP0105").Select(d => d.Location.GetLineSpan().StartLinePosition.Line + 1).OrderBy(l => l).ToArray();

        Assert.True(
            expected.SequenceEqual(actual),
            $"{file}: expected PP0105 on lines [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]\n"
                + string.Join("\n", diagnostics.Select(d => d.ToString())));
        var @fixed = root.DescendantNodes().OfType<ClassDeclarationSyntax>().Single(c => c.Identifier.Text == "Fixed");
        Assert.DoesNotContain(diagnostics, d => @fixed.Span.Contains(d.Location.SourceSpan));
    }
}
