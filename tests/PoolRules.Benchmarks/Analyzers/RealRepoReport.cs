using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using System.Xml.Linq;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- real-repo PATH... [--rules PP0101,PP0102] [--no-tests]
/// [--exclude DIR] [--cross-check] [--framework net8.0|net10.0] [--reference DLL|DIR] [--option KEY=VALUE] [--out FILE.md]</c>: every PoolRules analyzer over the C# source of a real
/// project's checkout (issue 13, "Real code, written by others"). Each <c>.csproj</c> under PATH becomes one compilation
/// of the <c>.cs</c> files below it (a nested project takes its own), against the net8.0 reference assemblies and
/// Microsoft.Extensions.ObjectPool (and any <c>--reference</c>), with its project references as compilation references; NuGet dependencies and source
/// generators are not there, so binding errors are expected and the analyzers must say nothing about what they cannot
/// bind. Prints per PATH the files, the rentals seen (Rent/Get calls that bind to ArrayPool, MemoryPool, ObjectPool),
/// each finding with file:line and its source line, and the analyzer exceptions (AD0001), which must be zero.
/// <c>--no-tests</c> leaves out test folders (<c>test</c>, <c>tests</c>, <c>*Tests</c>, <c>*.Test</c>); <c>--exclude</c> any
/// other folder name; <c>--option</c> is an .editorconfig key the analyzers read
/// (<c>dotnet_code_quality.PP0101.exception_paths=true</c>); <c>--errors</c> prints every compiler error (what did not bind); <c>--rules</c> limits the findings reported (all PP ids by default).
/// </summary>
public static partial class RealRepoReport
{
    // What the SDK defines for net8.0 in Release, so `#if NET8_0_OR_GREATER` code is the code a net8.0 build compiles.
    private static readonly string[] Net80Symbols =
    [
        "RELEASE", "TRACE", "NET", "NETCOREAPP", "NETCOREAPP1_0_OR_GREATER", "NETCOREAPP1_1_OR_GREATER", "NETCOREAPP2_0_OR_GREATER",
        "NETCOREAPP2_1_OR_GREATER", "NETCOREAPP2_2_OR_GREATER", "NETCOREAPP3_0_OR_GREATER", "NETCOREAPP3_1_OR_GREATER",
        "NET5_0_OR_GREATER", "NET6_0_OR_GREATER", "NET7_0_OR_GREATER", "NET8_0_OR_GREATER",
    ];

    // The usings `<ImplicitUsings>enable</ImplicitUsings>` adds in Microsoft.NET.Sdk.
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly MetadataReference ObjectPool = MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.ObjectPool.ObjectPool<>).Assembly.Location);

    /// <summary>The target the checkout is compiled for, <c>--framework net8.0</c> (the default) or <c>net10.0</c> (a project that targets only that).</summary>
    private static string Framework { get; set; } = "net8.0";

    private static CSharpParseOptions ParseOptions => new CSharpParseOptions(LanguageVersion.Preview).WithPreprocessorSymbols(
        Framework == "net10.0" ? (string[])[.. Net80Symbols, "NET9_0_OR_GREATER", "NET10_0_OR_GREATER", "NET10_0"] : [.. Net80Symbols, "NET8_0"]);

    public static async Task<int> RunAsync(string[] args)
    {
        var roots = new List<string>();
        var exclude = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "bin", "obj", ".git" };
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        HashSet<string>? rules = null;
        string? outFile = null;
        var noTests = false;
        var printErrors = false;
        var extra = new List<MetadataReference>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rules" when i + 1 < args.Length:
                    rules = new HashSet<string>(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
                    break;
                case "--out" when i + 1 < args.Length:
                    outFile = args[++i];
                    break;
                case "--exclude" when i + 1 < args.Length:
                    exclude.Add(args[++i]);
                    break;
                case "--option" when i + 1 < args.Length && args[i + 1].Contains('=', StringComparison.Ordinal):
                    var pair = args[++i].Split('=', 2);
                    options[pair[0].Trim()] = pair[1].Trim();
                    break;
                case "--framework" when i + 1 < args.Length && args[i + 1] is "net8.0" or "net10.0":
                    Framework = args[++i];
                    break;
                case "--reference" when i + 1 < args.Length:
                    var path = args[++i];
                    extra.AddRange((Directory.Exists(path) ? Directory.GetFiles(path, "*.dll") : [path]).Select(f => MetadataReference.CreateFromFile(f)));
                    break;
                case "--errors":
                    printErrors = true;
                    break;
                case "--no-tests":
                    noTests = true;
                    break;
                case "--cross-check":
                    // As the analyzer tests do: every body the clean-body proof accepts also goes through the engine, and
                    // one the engine reports on surfaces as AD0001 (slower; a check of the proof on code it was not written for).
                    PoolRules.Analyzers.Flow.PageFlowCache.CrossCheck = true;
                    break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal) || !Directory.Exists(args[i]))
                    {
                        Console.Error.WriteLine($"real-repo: '{args[i]}' is neither an option nor a folder");
                        return 2;
                    }

                    roots.Add(Path.GetFullPath(args[i]));
                    break;
            }
        }

        if (roots.Count == 0)
        {
            Console.Error.WriteLine("real-repo PATH... [--rules PP0101,...] [--no-tests] [--exclude DIR] [--framework net8.0|net10.0] [--reference DLL|DIR] [--option KEY=VALUE] [--errors] [--out FILE.md]");
            return 2;
        }

        var allIds = AnalyzerHarness.PoolRulesAnalyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToArray();
        var reported = rules is null ? allIds : allIds.Where(rules.Contains).ToArray();
        var results = new List<RepoResult>();
        foreach (var root in roots)
        {
            var result = await AnalyzeRepoAsync(root, exclude, noTests, printErrors, [.. Framework == "net10.0" ? Net100.References.All : Net80.References.All, ObjectPool, .. extra], new DictionaryOptions(options), reported);
            results.Add(result);
            PrintResult(result, reported);
        }

        var markdown = Markdown(results, reported, args);
        if (outFile is not null)
        {
            File.WriteAllText(outFile, markdown);
            Console.WriteLine($"written: {outFile}");
        }

        return results.Sum(r => r.AnalyzerExceptions) == 0 ? 0 : 1;
    }

    private static async Task<RepoResult> AnalyzeRepoAsync(
        string root, HashSet<string> exclude, bool noTests, bool printErrors, ImmutableArray<MetadataReference> framework, AnalyzerConfigOptionsProvider config, string[] reported)
    {
        var clock = Stopwatch.StartNew();
        var files = Walk(root, exclude, noTests, "*.cs").ToList();
        var projects = Walk(root, exclude, noTests, "*.csproj")
            .Select(p => Project.Read(p))
            .GroupBy(p => p.Directory, StringComparer.Ordinal)
            .Select(g => g.OrderBy(p => p.Path, StringComparer.Ordinal).First()) // X.csproj beside X.netfx.csproj: one compilation
            .ToDictionary(p => p.Directory, StringComparer.Ordinal);
        var loose = new Project(Path.Combine(root, "(no project)"), root, "NoProject", [], OutputKind.DynamicallyLinkedLibrary, [], []);
        foreach (var file in files)
        {
            var owner = loose;
            for (var dir = Path.GetDirectoryName(file); dir is not null && dir.Length >= root.Length; dir = Path.GetDirectoryName(dir))
            {
                if (projects.TryGetValue(dir, out var project))
                {
                    owner = project;
                    break;
                }
            }

            owner.Files.Add(file);
        }

        // Files a project names outside its folder (a shared project's .projitems, a linked file) are its, not loose.
        foreach (var project in projects.Values)
        {
            project.Files.AddRange(project.LinkedFiles.Where(File.Exists));
        }

        loose.Files.RemoveAll(f => projects.Values.Any(p => p.LinkedFiles.Contains(f)));

        var byPath = projects.Values.ToDictionary(p => p.Path, StringComparer.Ordinal);
        var compiled = new Dictionary<Project, CSharpCompilation>();
        var result = new RepoResult(root, files.Count);
        foreach (var project in Ordered(projects.Values.Append(loose), byPath))
        {
            var compilation = Compile(project, framework, byPath, compiled);
            compiled[project] = compilation;
            if (project.Files.Count == 0)
            {
                continue;
            }

            result.Compilations++;
            var run = await AnalyzerHarness.AnalyzeAsync(compilation, AnalyzerHarness.PoolRulesAnalyzers, config);
            result.AnalyzerExceptions += run.Exceptions.Count + run.Diagnostics.Count(d => d.Id == "AD0001");
            foreach (var exception in run.Exceptions.Take(3))
            {
                result.ExceptionSamples.Add($"{project.AssemblyName}: {exception.GetType().Name}: {exception.Message.Split('\n')[0]}");
            }

            result.AnalyzerTime += run.ExecutionTime;
            foreach (var (analyzer, time) in run.PerAnalyzer)
            {
                result.PerAnalyzer[analyzer] = result.PerAnalyzer.GetValueOrDefault(analyzer) + time;
            }

            foreach (var diagnostic in run.Diagnostics.Where(d => reported.Contains(d.Id)).OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start))
            {
                // A file two projects compile (a linked file) is one finding.
                var finding = Finding.Of(root, diagnostic);
                if (!result.Findings.Contains(finding))
                {
                    result.Findings.Add(finding);
                }
            }

            // Compiler errors only: an analyzer's or [Experimental]'s own error ids (NPG9001) do not stop anything binding.
            foreach (var error in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("CS", StringComparison.Ordinal) && !d.IsSuppressed))
            {
                if (printErrors)
                {
                    Console.WriteLine(error);
                }

                result.BindingErrors++;
                result.ErrorCodes[error.Id] = result.ErrorCodes.GetValueOrDefault(error.Id) + 1;
            }

            CountRentals(compilation, result.Rentals);
        }

        result.Elapsed = clock.Elapsed;
        return result;
    }

    /// <summary>The source files (or projects) under <paramref name="root"/>, skipping excluded and, if asked, test folders.</summary>
    private static IEnumerable<string> Walk(string root, HashSet<string> exclude, bool noTests, string pattern)
    {
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(dir, pattern).Order(StringComparer.Ordinal))
            {
                yield return file;
            }

            foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).Reverse())
            {
                var name = Path.GetFileName(sub);
                if (!exclude.Contains(name) && !(noTests && IsTestFolder(name)))
                {
                    pending.Push(sub);
                }
            }
        }
    }

    private static bool IsTestFolder(string name) =>
        name.Equals("test", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith("tests", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".test", StringComparison.OrdinalIgnoreCase);

    /// <summary>Projects after the projects they reference (a reference cycle is cut where it closes).</summary>
    private static List<Project> Ordered(IEnumerable<Project> projects, Dictionary<string, Project> byPath)
    {
        var ordered = new List<Project>();
        var seen = new HashSet<Project>();
        void Visit(Project project)
        {
            if (!seen.Add(project))
            {
                return;
            }

            foreach (var reference in project.References)
            {
                if (byPath.TryGetValue(reference, out var referenced))
                {
                    Visit(referenced);
                }
            }

            ordered.Add(project);
        }

        foreach (var project in projects)
        {
            Visit(project);
        }

        return ordered;
    }

    private static CSharpCompilation Compile(
        Project project, ImmutableArray<MetadataReference> framework, Dictionary<string, Project> byPath, Dictionary<Project, CSharpCompilation> compiled)
    {
        var baseOptions = ParseOptions;
        var parseOptions = baseOptions.WithPreprocessorSymbols(baseOptions.PreprocessorSymbolNames.Concat(project.DefineConstants));
        var trees = project.Files.Select(f => CSharpSyntaxTree.ParseText(Unsigned(File.ReadAllText(f)), parseOptions, path: f)).ToList();
        var generated = project.GlobalUsings.Select(u => $"global using {u};\n")
            .Concat(project.FriendAssemblies.Select(a => $"[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"{a}\")]\n"));
        trees.Add(CSharpSyntaxTree.ParseText(string.Concat(generated), parseOptions, path: Path.Combine(project.Directory, "obj", "Project.g.cs")));

        // MSBuild hands a project its references' references too.
        var references = new List<MetadataReference>(framework);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { project.AssemblyName };
        var pending = new Stack<string>(project.References);
        while (pending.Count > 0)
        {
            if (byPath.TryGetValue(pending.Pop(), out var referenced) && compiled.TryGetValue(referenced, out var reference) && names.Add(referenced.AssemblyName))
            {
                references.Add(reference.ToMetadataReference());
                foreach (var next in referenced.References)
                {
                    pending.Push(next);
                }
            }
        }

        return CSharpCompilation.Create(
            project.AssemblyName,
            trees,
            references,
            new CSharpCompilationOptions(project.Kind, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <summary>
    /// The compilations here are not signed, so a friend named with its public key would not see the internals it sees in
    /// the real build; the key goes (the line count stays, so every finding keeps its line).
    /// </summary>
    private static string Unsigned(string source) =>
        source.Contains("InternalsVisibleTo", StringComparison.Ordinal) ? SignedFriend().Replace(source, "$1\"") : source;

    [GeneratedRegex(@"(InternalsVisibleTo\s*\(\s*""[^"",]*)\s*,\s*PublicKey\s*=\s*[0-9a-fA-F]*""")]
    private static partial Regex SignedFriend();

    /// <summary>Rent/Get calls whose method binds to one of the three pools (or a type derived from one).</summary>
    private static void CountRentals(Compilation compilation, Dictionary<string, int> rentals)
    {
        var pools = new (INamedTypeSymbol? Type, string Take, string Name)[]
        {
            (compilation.GetTypeByMetadataName("System.Buffers.ArrayPool`1"), "Rent", "ArrayPool"),
            (compilation.GetTypeByMetadataName("System.Buffers.MemoryPool`1"), "Rent", "MemoryPool"),
            (compilation.GetTypeByMetadataName("Microsoft.Extensions.ObjectPool.ObjectPool`1"), "Get", "ObjectPool"),
        };
        foreach (var tree in compilation.SyntaxTrees)
        {
            SemanticModel? model = null;
            foreach (var invocation in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                var name = invocation.Expression switch
                {
                    MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                    MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
                    _ => null,
                };
                if (name is not ("Rent" or "Get"))
                {
                    continue;
                }

                model ??= compilation.GetSemanticModel(tree);
                if (model.GetSymbolInfo(invocation).Symbol is not IMethodSymbol method)
                {
                    continue;
                }

                foreach (var (type, take, poolName) in pools)
                {
                    if (type is not null && method.Name == take && DerivesFrom(method.ContainingType, type))
                    {
                        rentals[poolName] = rentals.GetValueOrDefault(poolName) + 1;
                    }
                }
            }
        }
    }

    private static bool DerivesFrom(INamedTypeSymbol? type, INamedTypeSymbol pool)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, pool))
            {
                return true;
            }
        }

        return false;
    }

    private static void PrintResult(RepoResult result, string[] reported)
    {
        Console.WriteLine($"{result.Root}: {result.Files} files, {result.Compilations} compilations, {result.BindingErrors:N0} binding errors ({TopErrors(result)}), {result.Elapsed.TotalSeconds:F0} s, analyzers {result.AnalyzerTime.TotalMilliseconds:F0} ms");
        Console.WriteLine($"  rentals seen: {Rentals(result)}");
        Console.WriteLine($"  findings: {string.Join(", ", reported.Select(id => $"{id} {result.Findings.Count(f => f.Id == id)}"))}");
        Console.WriteLine($"  AD0001: {result.AnalyzerExceptions}");
        Console.WriteLine($"  analyzer time: {string.Join(", ", result.PerAnalyzer.OrderByDescending(p => p.Value).Take(6).Select(p => $"{p.Key} {p.Value.TotalMilliseconds:F0} ms"))}");
        foreach (var sample in result.ExceptionSamples)
        {
            Console.WriteLine("    " + sample);
        }

        foreach (var finding in result.Findings)
        {
            Console.WriteLine($"  {finding.Id} {finding.File}:{finding.Line}: {finding.Source}");
            Console.WriteLine($"      {finding.Message}");
        }
    }

    private static string Rentals(RepoResult result) =>
        $"{result.Rentals.Values.Sum()} ({string.Join(", ", new[] { "ArrayPool", "MemoryPool", "ObjectPool" }.Select(p => $"{p} {result.Rentals.GetValueOrDefault(p)}"))})";

    private static string TopErrors(RepoResult result) =>
        string.Join(", ", result.ErrorCodes.OrderByDescending(e => e.Value).Take(3).Select(e => $"{e.Key} {e.Value:N0}"));

    private static string Markdown(List<RepoResult> results, string[] reported, string[] args)
    {
        var text = new StringBuilder();
        text.AppendLine($"`real-repo {string.Join(' ', args)}`");
        text.AppendLine();
        text.AppendLine($"| project | files | compilations | binding errors | rentals (ArrayPool / MemoryPool / ObjectPool) | {string.Join(" | ", reported)} | AD0001 | analyzer ms |");
        text.AppendLine($"| --- | --- | --- | --- | --- | {string.Join(" | ", reported.Select(_ => "---"))} | --- | --- |");
        foreach (var r in results)
        {
            text.AppendLine(
                $"| {Path.GetFileName(r.Root)} | {r.Files:N0} | {r.Compilations} | {r.BindingErrors:N0} | {r.Rentals.Values.Sum()} ({r.Rentals.GetValueOrDefault("ArrayPool")} / {r.Rentals.GetValueOrDefault("MemoryPool")} / {r.Rentals.GetValueOrDefault("ObjectPool")}) | {string.Join(" | ", reported.Select(id => r.Findings.Count(f => f.Id == id)))} | {r.AnalyzerExceptions} | {r.AnalyzerTime.TotalMilliseconds:F0} |");
        }

        foreach (var r in results.Where(r => r.Findings.Count > 0))
        {
            text.AppendLine();
            text.AppendLine($"## {Path.GetFileName(r.Root)}");
            text.AppendLine();
            foreach (var f in r.Findings)
            {
                text.AppendLine($"- {f.Id} `{f.File}:{f.Line}`: `{f.Source.Replace("`", "'", StringComparison.Ordinal)}` ({f.Message})");
            }
        }

        return text.ToString();
    }

    private sealed class RepoResult(string root, int files)
    {
        public string Root { get; } = root;

        public int Files { get; } = files;

        public int Compilations { get; set; }

        public int BindingErrors { get; set; }

        public int AnalyzerExceptions { get; set; }

        public TimeSpan AnalyzerTime { get; set; }

        public TimeSpan Elapsed { get; set; }

        public Dictionary<string, int> ErrorCodes { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, TimeSpan> PerAnalyzer { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Rentals { get; } = new(StringComparer.Ordinal);

        public List<Finding> Findings { get; } = [];

        public List<string> ExceptionSamples { get; } = [];
    }

    private sealed record Finding(string Id, string File, int Line, string Source, string Message)
    {
        public static Finding Of(string root, Diagnostic diagnostic)
        {
            var span = diagnostic.Location.GetLineSpan();
            var tree = diagnostic.Location.SourceTree;
            var source = tree is null ? "" : tree.GetText().Lines[span.StartLinePosition.Line].ToString().Trim();
            var file = tree is null ? "(no file)" : Path.GetRelativePath(root, tree.FilePath);
            return new Finding(diagnostic.Id, file, span.StartLinePosition.Line + 1, source, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"^\s*\(?\s*'([^']*)'\s*(==|!=)\s*'([^']*)'\s*\)?\s*$")]
    private static partial Regex Comparison();

    /// <summary>What a .csproj says that changes how its files bind.</summary>
    private sealed class Project(
        string path, string directory, string assemblyName, List<string> references, OutputKind kind, List<string> globalUsings, List<string> defineConstants)
    {
        public string Path { get; } = path;

        public string Directory { get; } = directory;

        public string AssemblyName { get; } = assemblyName;

        /// <summary>Full paths of the referenced .csproj files.</summary>
        public List<string> References { get; } = references;

        public OutputKind Kind { get; } = kind;

        public List<string> GlobalUsings { get; } = globalUsings;

        public List<string> DefineConstants { get; } = defineConstants;

        /// <summary>Files named by <c>&lt;Compile Include&gt;</c> (here or in an imported <c>.projitems</c>), full paths.</summary>
        public HashSet<string> LinkedFiles { get; } = new(StringComparer.Ordinal);

        /// <summary><c>&lt;InternalsVisibleTo Include="..." /&gt;</c> items, which the SDK turns into attributes.</summary>
        public List<string> FriendAssemblies { get; } = [];

        public List<string> Files { get; } = [];

        public static Project Read(string path)
        {
            var directory = System.IO.Path.GetDirectoryName(path)!;
            var name = System.IO.Path.GetFileNameWithoutExtension(path);
            var references = new List<string>();
            var usings = new List<string>();
            var kind = OutputKind.DynamicallyLinkedLibrary;
            var implicitUsings = false;
            var defines = new List<string>();
            var friends = new List<string>();
            var linked = new List<string>();
            var files = PropsChain(directory).Append(path).ToList();
            for (var index = 0; index < files.Count; index++)
            {
                var file = files[index];
                var fileDirectory = System.IO.Path.GetDirectoryName(file)!;
                XDocument document;
                try
                {
                    document = XDocument.Load(file);
                }
                catch (System.Xml.XmlException)
                {
                    continue;
                }

                foreach (var element in document.Descendants())
                {
                    var condition = Condition(element, Framework);
                    if (condition == false)
                    {
                        continue;
                    }

                    var value = element.Value.Trim();
                    switch (element.Name.LocalName)
                    {
                        case "AssemblyName" when file == path && !value.Contains('$', StringComparison.Ordinal) && value.Length > 0:
                            name = value;
                            break;
                        case "OutputType" when file == path:
                            kind = value.Equals("Exe", StringComparison.OrdinalIgnoreCase) || value.Equals("WinExe", StringComparison.OrdinalIgnoreCase)
                                ? OutputKind.ConsoleApplication
                                : OutputKind.DynamicallyLinkedLibrary;
                            break;
                        case "ImplicitUsings":
                            implicitUsings = value.Equals("enable", StringComparison.OrdinalIgnoreCase) || value.Equals("true", StringComparison.OrdinalIgnoreCase);
                            break;
                        case "Using" when element.Attribute("Include")?.Value is { } include && !include.Contains('$', StringComparison.Ordinal):
                            var alias = element.Attribute("Alias")?.Value;
                            var isStatic = string.Equals(element.Attribute("Static")?.Value, "true", StringComparison.OrdinalIgnoreCase);
                            usings.Add(alias is not null ? $"{alias} = global::{include}" : isStatic ? $"static global::{include}" : $"global::{include}");
                            break;
                        case "DefineConstants" when condition == true:
                            defines.AddRange(value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(d => !d.Contains('$', StringComparison.Ordinal)));
                            break;
                        case "InternalsVisibleTo" when element.Attribute("Include")?.Value is { } friend && !friend.Contains('$', StringComparison.Ordinal):
                            friends.Add(friend);
                            break;
                        // A shared project's .projitems, or .props that set usings and symbols.
                        case "Import" when element.Attribute("Project")?.Value is { } import && ThisFile(import, fileDirectory) is var imported && !imported.Contains('$', StringComparison.Ordinal):
                            var items = System.IO.Path.GetFullPath(System.IO.Path.Combine(fileDirectory, imported));
                            if (File.Exists(items) && !files.Contains(items))
                            {
                                files.Add(items);
                            }

                            break;
                        case "Compile" when element.Attribute("Include")?.Value is { } include
                            && include.EndsWith(".cs", StringComparison.OrdinalIgnoreCase) && !include.Contains('*', StringComparison.Ordinal):
                            var included = ThisFile(include, fileDirectory);
                            if (!included.Contains('$', StringComparison.Ordinal))
                            {
                                linked.Add(System.IO.Path.GetFullPath(System.IO.Path.Combine(fileDirectory, included)));
                            }

                            break;
                        case "ProjectReference" when file == path && element.Attribute("Include")?.Value is { } reference && !reference.Contains('$', StringComparison.Ordinal):
                            references.Add(System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, reference.Replace('\\', '/'))));
                            break;
                    }
                }
            }

            if (implicitUsings)
            {
                usings.InsertRange(0, ImplicitUsings.Select(u => "global::" + u));
            }

            var project = new Project(path, directory, name, references, kind, [.. usings.Distinct(StringComparer.Ordinal)], defines);
            project.FriendAssemblies.AddRange(friends.Distinct(StringComparer.Ordinal));
            project.LinkedFiles.UnionWith(linked.Where(f => !f.StartsWith(directory + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)));
            return project;
        }

        private static string ThisFile(string value, string fileDirectory) =>
            value.Replace("$(MSBuildThisFileDirectory)", fileDirectory + "/", StringComparison.OrdinalIgnoreCase).Replace('\\', '/');

        /// <summary>
        /// Whether MSBuild would take an element for a Release build of the framework: its own and its groups' conditions, each a
        /// chain of <c>'$(Property)' == 'value'</c> tests; null when one of them needs more than that (a property function,
        /// another property).
        /// </summary>
        private static bool? Condition(XElement element, string framework)
        {
            bool? holds = true;
            for (var e = element; e is not null; e = e.Parent)
            {
                if (e.Attribute("Condition")?.Value is { } condition)
                {
                    var value = Evaluate(condition, framework);
                    if (value == false)
                    {
                        return false;
                    }

                    holds = value is null ? null : holds;
                }
            }

            return holds;
        }

        private static bool? Evaluate(string condition, string framework)
        {
            var substituted = condition
                .Replace("$(TargetFramework)", framework, StringComparison.OrdinalIgnoreCase)
                .Replace("$(Configuration)", "Release", StringComparison.OrdinalIgnoreCase)
                .Replace("$(TargetFrameworkIdentifier)", ".NETCoreApp", StringComparison.OrdinalIgnoreCase);
            bool? any = false;
            foreach (var alternative in Regex.Split(substituted, @"\s+or\s+", RegexOptions.IgnoreCase))
            {
                bool? all = true;
                foreach (var test in Regex.Split(alternative, @"\s+and\s+", RegexOptions.IgnoreCase))
                {
                    var match = Comparison().Match(test);
                    bool? value = match.Success && !test.Contains("$(", StringComparison.Ordinal)
                        ? string.Equals(match.Groups[1].Value, match.Groups[3].Value, StringComparison.OrdinalIgnoreCase) == (match.Groups[2].Value == "==")
                        : null;
                    all = value == false || all == false ? false : value is null || all is null ? null : true;
                }

                any = all == true || any == true ? true : all is null || any is null ? null : false;
            }

            return any;
        }

        /// <summary>The Directory.Build.props files MSBuild imports for a project in <paramref name="directory"/>, outermost first (each imports the next one up, as most repositories do).</summary>
        private static IEnumerable<string> PropsChain(string directory)
        {
            var chain = new List<string>();
            for (var dir = directory; dir is not null; dir = System.IO.Path.GetDirectoryName(dir))
            {
                var props = System.IO.Path.Combine(dir, "Directory.Build.props");
                if (File.Exists(props))
                {
                    chain.Add(props);
                }
            }

            chain.Reverse();
            return chain;
        }
    }
}
