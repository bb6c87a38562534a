using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PoolRules.CodeFixes.Tests;

/// <summary>
/// The fixes outside the testing library: a workspace project over the same references as <see cref="VerifyFix{TAnalyzer, TCodeFix}"/>,
/// every PoolRules analyzer and fix, which actions a diagnostic is offered, and what applying one leaves.
/// </summary>
public static class FixHarness
{
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(
        new PoolRules.Analyzers.PP0001PageLeakAnalyzer(),
        new PoolRules.Analyzers.PP0002DoublePutAnalyzer(),
        new PoolRules.Analyzers.PP0003DirectRecycleOutsideNapiAnalyzer(),
        new PoolRules.Analyzers.PP0004PoolQueueCountAnalyzer(),
        new PoolRules.Analyzers.PP0005UseAfterPutAnalyzer(),
        new PoolRules.Analyzers.PP0006InvalidPoolParamsAnalyzer(),
        new PoolRules.Analyzers.PP0007BlockingInNapiAnalyzer(),
        new PoolRules.Analyzers.PP0008WrongPoolAnalyzer(),
        new PoolRules.Analyzers.PP0101RentalLeakAnalyzer(),
        new PoolRules.Analyzers.PP0102DoubleGiveBackAnalyzer(),
        new PoolRules.Analyzers.PP0103UseAfterGiveBackAnalyzer(),
        new PoolRules.Analyzers.PP0104WrongPoolAnalyzer());

    public static readonly ImmutableArray<CodeFixProvider> Fixes = ImmutableArray.Create<CodeFixProvider>(
        new PP0001InsertPutCodeFix(),
        new PP0002RemoveSecondPutCodeFix(),
        new PP0003DirectRecycleCodeFix(),
        new PP0004OnePoolPerQueueCodeFix(),
        new PP0005MovePutAfterLastUseCodeFix(),
        new PP0006PoolParamsCodeFix(),
        new PP0007DevAllocCodeFix(),
        new PP0008PutToOwningPoolCodeFix());

    /// <summary>One project of C# files (names and texts), compiled as a library with nullable warnings on.</summary>
    public static Project Project(params (string Name, string Text)[] files) => Project(OutputKind.DynamicallyLinkedLibrary, files);

    public static Project Project(OutputKind kind, params (string Name, string Text)[] files)
    {
        var workspace = new AdhocWorkspace();
        var references = Net80.References.All.Append(MetadataReference.CreateFromFile(typeof(PoolRules.Runtime.PagePool).Assembly.Location)).Append(VerifyFix<PoolRules.Analyzers.PP0001PageLeakAnalyzer, PP0001InsertPutCodeFix>.ObjectPool);
        var project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(),
            VersionStamp.Default,
            "Corpus",
            "Corpus",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: references));
        foreach (var (name, text) in files)
        {
            project = project.AddDocument(name, text).Project;
        }

        return project;
    }

    public static Document Document(string source) => Project(("Driver.cs", VerifyFix<PoolRules.Analyzers.PP0001PageLeakAnalyzer, PP0001InsertPutCodeFix>.Usings + source)).Documents.Single();

    /// <summary>Every diagnostic of the document: the compiler's (warnings and errors) and the PoolRules rules'.</summary>
    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Document document)
    {
        var compilation = (await document.Project.GetCompilationAsync())!;
        var tree = (await document.GetSyntaxTreeAsync())!;
        var model = compilation.GetSemanticModel(tree);
        var analyzers = await compilation.WithAnalyzers(Analyzers).GetAnalyzerSemanticDiagnosticsAsync(model, null, CancellationToken.None);
        return model.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Concat(analyzers).ToImmutableArray();
    }

    public static async Task<IReadOnlyList<CodeAction>> ActionsAsync(Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        foreach (var fix in Fixes.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        }

        return actions;
    }

    /// <summary>The titles offered for the one diagnostic of <paramref name="id"/> in <paramref name="source"/> (after the usual usings).</summary>
    public static async Task<string[]> TitlesAsync(string source, string id)
    {
        var document = Document(source);
        var diagnostic = (await DiagnosticsAsync(document)).Single(d => d.Id == id);
        return (await ActionsAsync(document, diagnostic)).Select(a => a.Title).ToArray();
    }

    /// <summary>Fix All as <c>dotnet format analyzers</c> asks for it: the given equivalence key (null when the first diagnostic it saw had no fix).</summary>
    public static async Task<CodeAction?> FixAllAsync(Document document, CodeFixProvider provider, FixAllScope scope, string? equivalenceKey)
    {
        var context = new FixAllContext(document, provider, scope, equivalenceKey, provider.FixableDiagnosticIds, new AnalyzerDiagnostics(), CancellationToken.None);
        return await provider.GetFixAllProvider()!.GetFixAsync(context);
    }

    public static async Task<Document> ApplyAsync(Document document, CodeAction action)
    {
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        return operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;
    }

    private sealed class AnalyzerDiagnostics : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            (await DiagnosticsAsync(document)).Where(d => d.Id.StartsWith("PP", System.StringComparison.Ordinal));

        public override async Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
        {
            var all = new List<Diagnostic>();
            foreach (var document in project.Documents)
            {
                all.AddRange(await GetDocumentDiagnosticsAsync(document, cancellationToken));
            }

            return all;
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());
    }
}
