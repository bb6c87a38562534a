using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;

namespace PoolRules.Analyzers.Tests;

/// <summary>
/// Every ```csharp block of README.md and docs/rules/*.md compiles as shown, as its own compilation (nullable enabled,
/// the SDK's warning level), with no compiler error or warning. A block under a "Non-compliant" heading raises exactly
/// the PoolRules diagnostics its end-of-line <c>// PP0NNN</c> comments announce, on those lines; every other block raises
/// none at all.
/// </summary>
public sealed partial class DocsExamplesTests
{
    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in DocFiles())
        {
            var count = Extract(file).Count;
            for (var i = 0; i < count; i++)
            {
                data.Add(file, i);
            }
        }

        return data;
    }

    [Fact]
    public void Every_doc_page_is_searched_and_the_pages_have_csharp_blocks()
    {
        var files = DocFiles();
        Assert.Contains("README.md", files);
        Assert.Contains("docs/rules/PP0001.md", files);
        Assert.All(files.Where(f => f.StartsWith("docs/rules/", StringComparison.Ordinal)), f => Assert.NotEmpty(Extract(f)));
        Assert.Contains(files.SelectMany(Extract), b => b.NonCompliant);
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public async Task Csharp_block_compiles_and_raises_exactly_its_announced_diagnostics(string file, int block)
    {
        var example = Extract(file)[block];
        var path = $"{file}#{block}";
        var compilation = AllAnalyzers.Compile("DocsExample", TestReferences.All, (path, example.Code));
        // What a project on a current SDK compiles with: every warning wave on.
        compilation = compilation.WithOptions(compilation.Options.WithWarningLevel(9999));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(EngineFaults.Drain());
        var where = $"{file}, csharp block {block} (line {example.Line} of the page, under \"{example.Heading}\")";
        var compiler = diagnostics
            .Where(d => !d.IsSuppressed && !IsPoolRules(d) && d.Severity >= DiagnosticSeverity.Warning)
            .Select(Describe)
            .ToArray();
        Assert.True(compiler.Length == 0, where + " does not compile cleanly:\n" + string.Join("\n", compiler) + "\n\n" + Numbered(example.Code));

        var actual = diagnostics.Where(d => !d.IsSuppressed && IsPoolRules(d)).Select(d => (Line: d.Location.GetLineSpan().StartLinePosition.Line, d.Id)).OrderBy(x => x).ToArray();
        var expected = Expected(example.Code);
        if (example.NonCompliant)
        {
            Assert.True(expected.Length > 0, where + " is non-compliant but announces no diagnostic with a '// PP0NNN' comment");
        }
        else
        {
            Assert.True(expected.Length == 0, where + " is not under a \"Non-compliant\" heading but announces diagnostics");
        }

        Assert.True(
            expected.SequenceEqual(actual),
            where + ":\nexpected " + Format(expected) + "\nactual   " + Format(actual) + "\n" +
            string.Join("\n", diagnostics.Where(IsPoolRules).Select(Describe)) + "\n\n" + Numbered(example.Code));
    }

    [Fact]
    public void Extraction_reads_fences_headings_and_markers()
    {
        var page = """
            # Title

            ## Non-compliant

            ```csharp
            class A
            {
                void M() { } // PP0001: here
            }
            ```

            ```ini
            x = 1
            ```

            ## Compliant

            ```csharp
            class B { } // not a marker: PP0001
            ```
            """;
        var blocks = Extract(page.Split('\n'));

        Assert.Equal(2, blocks.Count);
        Assert.True(blocks[0].NonCompliant);
        Assert.False(blocks[1].NonCompliant);
        Assert.Equal(6, blocks[0].Line);
        Assert.Equal(new[] { (2, "PP0001") }, Expected(blocks[0].Code));
        Assert.Empty(Expected(blocks[1].Code));
    }

    private static bool IsPoolRules(Diagnostic d) => d.Id.StartsWith("PP", StringComparison.Ordinal) || d.Id == "AD0001";

    private static string Describe(Diagnostic d) => $"line {d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.Id} {d.GetMessage()}";

    private static string Format(IEnumerable<(int Line, string Id)> findings) =>
        "[" + string.Join(", ", findings.Select(f => $"line {f.Line + 1}: {f.Id}")) + "]";

    private static string Numbered(string code) =>
        string.Join("\n", code.Split('\n').Select((l, i) => $"{i + 1,3} {l}"));

    /// <summary>The findings a block announces: an end-of-line comment that starts with a rule id, on the line it is reported.</summary>
    private static (int Line, string Id)[] Expected(string code) =>
        code.Split('\n')
            .Select((text, line) => (line, Match: Marker().Match(text)))
            .Where(x => x.Match.Success)
            .Select(x => (x.line, x.Match.Groups[1].Value))
            .OrderBy(x => x)
            .ToArray();

    [GeneratedRegex(@"//\s*(PP\d{4})\b[^""]*$")]
    private static partial Regex Marker();

    private static string[] DocFiles()
    {
        var root = CorpusTests.FindRepositoryRoot();
        return new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs", "rules"), "*.md")
                .Select(f => "docs/rules/" + Path.GetFileName(f))
                .OrderBy(f => f, StringComparer.Ordinal))
            .ToArray();
    }

    private static List<Example> Extract(string file) =>
        Extract(File.ReadAllLines(Path.Combine(CorpusTests.FindRepositoryRoot(), file)));

    private static List<Example> Extract(string[] lines)
    {
        var blocks = new List<Example>();
        var heading = "";
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.StartsWith('#'))
            {
                heading = line.TrimStart('#').Trim();
                continue;
            }

            if (!line.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            var language = line[3..].Trim();
            var start = i + 1;
            var code = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].TrimEnd('\r').StartsWith("```", StringComparison.Ordinal); i++)
            {
                code.Append(lines[i].TrimEnd('\r')).Append('\n');
            }

            if (language == "csharp")
            {
                blocks.Add(new Example(code.ToString(), start + 1, heading, heading.Contains("Non-compliant", StringComparison.OrdinalIgnoreCase)));
            }
        }

        return blocks;
    }

    private sealed record Example(string Code, int Line, string Heading, bool NonCompliant);
}
