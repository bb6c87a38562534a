using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;

namespace PoolRules.CodeFixes.Tests;

/// <summary>
/// Issue #16's corpus check: every PoolRules diagnostic in the analyzer tests' inputs, the ValidCode corpus and the
/// BuggyDriver gets its first offered action applied, and the result must compile with no new diagnostic of any kind
/// and no PoolRules diagnostic left in that member beyond the ones it had besides the fixed one. The judge here is
/// independent of the fixes' own verifier: whole-project diagnostics, compared by id and message.
/// </summary>
[Trait("Category", "Corpus")]
public sealed partial class CorpusFixTests(ITestOutputHelper output)
{
    [Fact]
    public Task Every_offered_first_fix_in_the_corpus_leaves_correct_code() => CheckAsync(Corpus(), "corpus-fixes.txt");

    /// <summary>
    /// The same judge over the .NET pool rules' inputs: the PP010* analyzer tests' snippets and every NetPoolCorpus
    /// case (real fixed bugs, a Buggy class and its Fixed twin): each fix offered for PP0101-PP0104 removes what it
    /// fixes and brings nothing new.
    /// </summary>
    [Fact]
    public Task Every_offered_first_fix_in_the_net_pool_corpus_leaves_correct_code() => CheckAsync(NetPoolCorpus(), "net-pool-corpus-fixes.txt");

    private async Task CheckAsync(IEnumerable<(string Name, Project Project)> corpus, string reportFile)
    {
        var tally = new SortedDictionary<string, (int Diagnostics, int Offered, int Passed)>();
        var failures = new List<string>();
        var unfixed = new List<string>();
        foreach (var (name, project) in corpus)
        {
            foreach (var document in project.Documents)
            {
                var before = await ProjectDiagnosticsAsync(project);
                foreach (var diagnostic in before.Where(d => d.Id.StartsWith("PP", StringComparison.Ordinal) && d.Location.SourceTree == document.GetSyntaxTreeAsync().Result))
                {
                    var (count, offered, passed) = tally.GetValueOrDefault(diagnostic.Id);
                    var actions = await FixHarness.ActionsAsync(document, diagnostic);
                    if (actions.Count == 0)
                    {
                        unfixed.Add($"{name} {diagnostic}");
                        tally[diagnostic.Id] = (count + 1, offered, passed);
                        continue;
                    }

                    var fixedDocument = await FixHarness.ApplyAsync(document, actions[0]);
                    var after = await ProjectDiagnosticsAsync(fixedDocument.Project);
                    var problem = await JudgeAsync(document, diagnostic, before, fixedDocument, after);
                    if (problem is null)
                    {
                        passed++;
                    }
                    else
                    {
                        failures.Add($"{name} {diagnostic} → '{actions[0].Title}': {problem}");
                    }

                    tally[diagnostic.Id] = (count + 1, offered + 1, passed);
                }
            }
        }

        var report = new StringBuilder("rule    diagnostics  fixes offered  fixes that pass\n");
        foreach (var (id, (count, offered, passed)) in tally)
        {
            report.AppendLine($"{id}  {count,11}  {offered,13}  {passed,15}");
        }

        output.WriteLine(report.ToString());
        output.WriteLine("no fix offered:\n" + string.Join("\n", unfixed));
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, reportFile), report.ToString());
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(tally.Values.Sum(t => t.Offered) > 0, "the corpus offered no fix at all");
    }

    // Null when the fix is right: nothing new anywhere in the project, the fixed diagnostic gone from its member.
    private static async Task<string?> JudgeAsync(Document document, Diagnostic fixedOne, IReadOnlyList<Diagnostic> before, Document fixedDocument, IReadOnlyList<Diagnostic> after)
    {
        if (after.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error) is { } error)
        {
            return "does not compile: " + error;
        }

        var member = await MemberAsync(document, fixedOne.Location);
        var expected = new List<string>();
        foreach (var diagnostic in before)
        {
            if (diagnostic != fixedOne)
            {
                expected.Add(await KeyAsync(document.Project, diagnostic));
            }
        }

        foreach (var diagnostic in after)
        {
            var key = await KeyAsync(fixedDocument.Project, diagnostic);
            if (!expected.Remove(key))
            {
                return (key.StartsWith(member + "|", StringComparison.Ordinal) && diagnostic.Id == fixedOne.Id ? "left or new in the member: " : "new: ") + diagnostic;
            }
        }

        return null;
    }

    // A diagnostic as the same finding before and after an edit: its id, its member and its message without line numbers.
    private static async Task<string> KeyAsync(Project project, Diagnostic diagnostic)
    {
        var document = project.GetDocument(diagnostic.Location.SourceTree);
        var member = document is null ? "" : await MemberAsync(document, diagnostic.Location);
        return member + "|" + diagnostic.Id + "|" + LineNumber().Replace(diagnostic.GetMessage(), "line #");
    }

    private static async Task<string> MemberAsync(Document document, Location location)
    {
        var model = (await document.GetSemanticModelAsync())!;
        var symbol = model.GetEnclosingSymbol(location.SourceSpan.Start);
        while (symbol is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
        {
            symbol = symbol.ContainingSymbol;
        }

        return document.Name + ":" + symbol?.ToDisplayString();
    }

    private static async Task<IReadOnlyList<Diagnostic>> ProjectDiagnosticsAsync(Project project)
    {
        var all = new List<Diagnostic>();
        foreach (var document in project.Documents)
        {
            all.AddRange(await FixHarness.DiagnosticsAsync(document));
        }

        return all;
    }

    private static IEnumerable<(string Name, Project Project)> Corpus()
    {
        var root = RepositoryRoot();
        var usings = VerifyFix<PoolRules.Analyzers.PP0001PageLeakAnalyzer, PP0001InsertPutCodeFix>.Usings;

        // The analyzer tests' inputs: each raw string that mentions the runtime, without its markup.
        foreach (var file in Directory.GetFiles(Path.Combine(root, "tests", "PoolRules.Analyzers.Tests"), "PP000*.cs"))
        {
            var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file));
            var index = 0;
            foreach (var token in tree.GetRoot().DescendantTokens().Where(t => t.IsKind(SyntaxKind.MultiLineRawStringLiteralToken)))
            {
                var text = Markup().Replace(token.ValueText, "").Replace("|}", "").Replace("[|", "").Replace("|]", "");
                if (!text.Contains("PagePool", StringComparison.Ordinal))
                {
                    continue;
                }

                var name = $"{Path.GetFileNameWithoutExtension(file)}#{index++}";
                var project = FixHarness.Project((name + ".cs", usings + text));
                if (Compiles(project))
                {
                    yield return (name, project);
                }
            }
        }

        var valid = Directory.GetFiles(Path.Combine(root, "tests", "PoolRules.Analyzers.Tests", "ValidCode"), "*.cs.txt")
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToArray();
        yield return ("ValidCode", FixHarness.Project(valid));

        var samples = Path.Combine(root, "src", "Samples");
        var buggy = Directory.GetFiles(Path.Combine(samples, "BuggyDriver"), "*.cs")
            .Concat(new[] { "SimulatedNic.cs", "SimulatedIommu.cs", "XdpProgram.cs" }.Select(f => Path.Combine(samples, "RxDriver", f)))
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToArray();
        var buggyProject = FixHarness.Project(OutputKind.ConsoleApplication, buggy);
        Assert.True(Compiles(buggyProject), "the BuggyDriver does not compile here");
        yield return ("BuggyDriver", buggyProject);
    }

    private static IEnumerable<(string Name, Project Project)> NetPoolCorpus()
    {
        var root = RepositoryRoot();

        // The snippets carry their own `using System.Buffers;`, as the analyzer tests' usings do not have it.
        var usings = VerifyFix<PoolRules.Analyzers.PP0001PageLeakAnalyzer, PP0001InsertPutCodeFix>.Usings.Replace("using System.Buffers;\n", "", StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(root, "tests", "PoolRules.Analyzers.Tests"), "PP010*.cs"))
        {
            var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file));
            var index = 0;
            foreach (var token in tree.GetRoot().DescendantTokens().Where(t => t.IsKind(SyntaxKind.MultiLineRawStringLiteralToken)))
            {
                var text = Markup().Replace(token.ValueText, "").Replace("|}", "").Replace("[|", "").Replace("|]", "");
                if (!text.Contains("Pool<", StringComparison.Ordinal))
                {
                    continue;
                }

                var name = $"{Path.GetFileNameWithoutExtension(file)}#{index++}";
                var project = FixHarness.Project((name + ".cs", usings + text));
                if (Compiles(project))
                {
                    yield return (name, project);
                }
            }
        }

        foreach (var file in Directory.GetFiles(Path.Combine(root, "tests", "PoolRules.Analyzers.Tests", "NetPoolCorpus"), "PP010*_*.cs").Order(StringComparer.Ordinal))
        {
            var project = FixHarness.Project((Path.GetFileName(file), File.ReadAllText(file)));
            Assert.True(Compiles(project), $"{Path.GetFileName(file)} does not compile here");
            yield return (Path.GetFileNameWithoutExtension(file), project);
        }
    }

    private static bool Compiles(Project project) =>
        !project.GetCompilationAsync().Result!.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PoolRules.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PoolRules.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\{\|[^:|{}]*:")]
    private static partial Regex Markup();

    [GeneratedRegex(@"line \d+")]
    private static partial Regex LineNumber();
}
