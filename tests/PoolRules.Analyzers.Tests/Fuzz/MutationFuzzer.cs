using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using System.Reflection;
using PoolRules.Analyzers.Flow;
using PoolRules.Analyzers.Napi;

namespace PoolRules.Analyzers.Fuzzing;

/// <summary>
/// Seeded mutation fuzzing of the analyzers: every test input of the project (the ValidCode corpus, the sample
/// drivers, the C# snippets inside the analyzer tests) is mutated by deleting or duplicating random tokens and
/// statements, and each mutant is compiled against the runtime and run through every analyzer. A finding is an
/// analyzer exception (AD0001) or an exception one of the analyses swallowed to avoid one. Shared by the bounded CI
/// test (tests/PoolRules.Analyzers.Tests) and the long run of the benchmark project (<c>-- fuzz N</c>).
/// </summary>
public sealed partial class MutationFuzzer
{
    /// <summary>What every snippet of the analyzer tests is compiled with (the test harness adds the same).</summary>
    public const string SnippetUsings = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using PoolRules.Runtime;

        """;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(PageFlowAnalyzer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any())
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    private readonly Random _random;

    /// <summary>Every compilation shares the resolved references of this one.</summary>
    private readonly CSharpCompilation _base;

    public MutationFuzzer(int seed, IEnumerable<MetadataReference> references)
    {
        _random = new Random(seed);
        _base = CSharpCompilation.Create(
            "Mutant",
            references: references,
            options: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
    }

    /// <summary>The test inputs of the project: the ValidCode corpus, the sample drivers, the analyzer tests' snippets.</summary>
    public static IReadOnlyList<(string Name, string Text)> TestInputs()
    {
        var inputs = new List<(string, string)>();
        var root = RepositoryRoot();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(root, "tests", "PoolRules.Analyzers.Tests", "ValidCode"), "*.cs.txt").OrderBy(p => p, StringComparer.Ordinal))
        {
            inputs.Add((Path.GetRelativePath(root, path), File.ReadAllText(path)));
        }

        foreach (var path in SourceFiles(Path.Combine(root, "src", "Samples")))
        {
            inputs.Add((Path.GetRelativePath(root, path), File.ReadAllText(path)));
        }

        foreach (var path in SourceFiles(Path.Combine(root, "tests", "PoolRules.Analyzers.Tests")))
        {
            var index = 0;
            foreach (var snippet in Snippets(File.ReadAllText(path)))
            {
                inputs.Add(($"{Path.GetFileName(path)}#{index++}", snippet));
            }
        }

        return inputs;
    }

    /// <summary>The .cs files under <paramref name="folder"/>, build output excluded, in a stable order.</summary>
    public static IEnumerable<string> SourceFiles(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
                .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                .OrderBy(p => p, StringComparer.Ordinal)
            : Enumerable.Empty<string>();

    /// <summary>The folder of PoolRules.sln above the running assembly or the current directory.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "PoolRules.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("PoolRules.sln not found above " + AppContext.BaseDirectory + " or " + Environment.CurrentDirectory);
    }

    /// <summary>The raw string literals of a test file that hold C# (test markup removed), with the usings every snippet gets.</summary>
    public static IEnumerable<string> Snippets(string testFile)
    {
        var root = CSharpSyntaxTree.ParseText(testFile, ParseOptions).GetRoot();
        foreach (var token in root.DescendantTokens())
        {
            if (!token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken) && !token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken))
            {
                continue;
            }

            var text = token.ValueText;
            if (text.Length < 40 || !(text.Contains("class ", StringComparison.Ordinal) || text.Contains("void ", StringComparison.Ordinal)))
            {
                continue;
            }

            yield return SnippetUsings + Markup().Replace(text, string.Empty);
        }
    }

    [GeneratedRegex(@"\{\|[A-Za-z0-9#]+:|\|\}|\[\||\|\]")]
    private static partial Regex Markup();

    /// <summary>One mutant: 1–3 random deletions or duplications of a token or a statement.</summary>
    public (string Text, string How) Mutate(string text)
    {
        var how = new List<string>();
        var mutations = 1 + _random.Next(3);
        for (var i = 0; i < mutations; i++)
        {
            var root = CSharpSyntaxTree.ParseText(text, ParseOptions).GetRoot();
            var statements = root.DescendantNodes().OfType<StatementSyntax>().ToArray();
            var tokens = root.DescendantTokens().Where(t => t.Span.Length > 0).ToArray();
            if (tokens.Length == 0)
            {
                break;
            }

            var kind = statements.Length == 0 ? _random.Next(2) : _random.Next(4);
            switch (kind)
            {
                case 0:
                {
                    var token = tokens[_random.Next(tokens.Length)];
                    text = text.Remove(token.SpanStart, token.Span.Length);
                    how.Add($"delete token '{token.Text}' at {token.SpanStart}");
                    break;
                }

                case 1:
                {
                    var token = tokens[_random.Next(tokens.Length)];
                    text = text.Insert(token.Span.End, " " + token.Text);
                    how.Add($"duplicate token '{token.Text}' at {token.SpanStart}");
                    break;
                }

                case 2:
                {
                    var statement = statements[_random.Next(statements.Length)];
                    text = text.Remove(statement.SpanStart, statement.Span.Length);
                    how.Add($"delete statement at {statement.SpanStart}: {Shorten(statement)}");
                    break;
                }

                default:
                {
                    var statement = statements[_random.Next(statements.Length)];
                    text = text.Insert(statement.Span.End, "\n" + statement.ToString());
                    how.Add($"duplicate statement at {statement.SpanStart}: {Shorten(statement)}");
                    break;
                }
            }
        }

        return (text, string.Join("; ", how));
    }

    private static string Shorten(SyntaxNode node)
    {
        var text = node.ToString().ReplaceLineEndings(" ");
        return text.Length <= 60 ? text : text.Substring(0, 60) + "…";
    }

    /// <summary>Compiles the texts as one compilation with this fuzzer's references and runs every analyzer.</summary>
    public async Task<Outcome> RunAsync(IEnumerable<(string Name, string Text)> files, CancellationToken cancellationToken = default)
    {
        var compilation = _base.AddSyntaxTrees(files.Select(f => CSharpSyntaxTree.ParseText(f.Text, ParseOptions, path: f.Name, cancellationToken: cancellationToken)));
        var exceptions = new ConcurrentQueue<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (exception, _, _) => exceptions.Enqueue(exception),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        using var faults = FaultCapture.Start();
        var diagnostics = await compilation.WithAnalyzers(Analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken);
        return new Outcome(
            diagnostics.Where(d => d.Id.StartsWith("PP", StringComparison.Ordinal)).Select(d => d.Id).ToArray(),
            exceptions.Concat(diagnostics.Where(d => d.Id == "AD0001").Select(d => new InvalidOperationException(d.GetMessage()))).ToArray(),
            faults.Collected);
    }

    /// <summary>What analysing one input produced: PP ids, analyzer exceptions (AD0001), exceptions swallowed by the analyses.</summary>
    public sealed record Outcome(string[] PageDiagnostics, Exception[] AnalyzerExceptions, Exception[] SwallowedExceptions)
    {
        public bool Crashed => AnalyzerExceptions.Length > 0 || SwallowedExceptions.Length > 0;
    }

    /// <summary>
    /// Sees the exceptions that the engine, the NAPI-context analysis, PP0004 and PP0006 swallow, on the current async
    /// flow only (tests run in parallel), while forwarding them to the hooks installed by the other tests.
    /// </summary>
    private sealed class FaultCapture : IDisposable
    {
        private static readonly AsyncLocal<FaultCapture?> Current = new();
        private static readonly object Gate = new();
        private static bool s_installed;
        private readonly ConcurrentQueue<Exception> _faults = new();

        public Exception[] Collected => _faults.ToArray();

        public static FaultCapture Start()
        {
            Install();
            var capture = new FaultCapture();
            Current.Value = capture;
            return capture;
        }

        public void Dispose() => Current.Value = null;

        private static void Install()
        {
            lock (Gate)
            {
                if (s_installed)
                {
                    return;
                }

                PageFlowCache.EngineFault = Chain(PageFlowCache.EngineFault);
                NapiContexts.Fault = Chain(NapiContexts.Fault);
                PP0004PoolQueueCountAnalyzer.Fault = Chain(PP0004PoolQueueCountAnalyzer.Fault);
                PP0006InvalidPoolParamsAnalyzer.Fault = Chain(PP0006InvalidPoolParamsAnalyzer.Fault);
                s_installed = true;
            }
        }

        private static Action<Exception> Chain(Action<Exception>? previous) => exception =>
        {
            if (Current.Value is { } capture)
            {
                // Ours: recorded here, not in the other tests' queues, which fail whoever drains them next.
                capture._faults.Enqueue(exception);
                return;
            }

            previous?.Invoke(exception);
        };
    }
}
