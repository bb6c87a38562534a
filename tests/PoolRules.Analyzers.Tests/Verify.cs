using System.Threading;
using System.Threading.Tasks;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace PoolRules.Analyzers.Tests;

/// <summary>
/// Runs one analyzer over a snippet compiled against the net8.0 reference assemblies and the runtime, with no
/// package download: the reference set is fixed in the test assembly.
/// </summary>
public static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>Usings every snippet gets, so a test shows only the code under test.</summary>
    public const string Usings = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using PoolRules.Runtime;

        """;

    public static DiagnosticResult Diagnostic(string id) => new(id, DiagnosticSeverity.Warning);

    public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected) => AnalyzerAsync(source, null, expected);

    /// <summary>As <see cref="AnalyzerAsync(string, DiagnosticResult[])"/>, with these lines in the project's .editorconfig (for every file).</summary>
    public static async Task AnalyzerAsync(string source, string? editorConfig, params DiagnosticResult[] expected)
    {
        EngineFaults.Install();
        var test = new Test { TestCode = Usings + source };
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*]\n" + editorConfig + "\n"));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        try
        {
            await test.RunAsync(CancellationToken.None);
        }
        catch (System.Exception) when (EngineFaults.Drain() is { Length: > 0 } faults)
        {
            throw new System.AggregateException("The page flow engine swallowed exceptions", faults);
        }
    }

    private sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.None;
            TestState.AdditionalReferences.AddRange(TestReferences.All);
        }
    }
}

/// <summary>The fixed reference set of every test compilation.</summary>
public static class TestReferences
{
    /// <summary>A reference-assembly set with no package: nothing is resolved or downloaded.</summary>
    public static readonly ReferenceAssemblies None = new("net8.0");

    public static readonly MetadataReference Runtime = MetadataReference.CreateFromFile(typeof(PoolRules.Runtime.PagePool).Assembly.Location);

    /// <summary>Microsoft.Extensions.ObjectPool, for the .NET pool rules (PP0101-PP0105).</summary>
    public static readonly MetadataReference ObjectPool = MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.ObjectPool.ObjectPool<>).Assembly.Location);

    public static MetadataReference[] All { get; } = [.. Net80.References.All, Runtime, ObjectPool];
}
