using System.Threading;
using System.Threading.Tasks;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace PoolRules.CodeFixes.Tests;

/// <summary>
/// Runs an analyzer and its code fix over snippets compiled against the net8.0 reference assemblies and the
/// runtime (nothing downloaded), checks the single fix, Fix All in document, project and solution scope, and that
/// the fixed code has no diagnostic of the rule left.
/// </summary>
public static class VerifyFix<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    /// <summary>Usings every snippet starts with, so a test shows only the code under test.</summary>
    public const string Usings = """
        #nullable enable
        using System;
        using System.Buffers;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using PoolRules.Runtime;

        """;

    /// <summary>Microsoft.Extensions.ObjectPool, for the .NET pool rules' snippets (PP0101-PP0104).</summary>
    public static readonly MetadataReference ObjectPool = MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.ObjectPool.ObjectPool<>).Assembly.Location);

    /// <summary>One document: <paramref name="source"/> becomes <paramref name="fixedSource"/> (both after <see cref="Usings"/>).</summary>
    public static Task FixAsync(string source, string fixedSource, int? codeActionIndex = null, string? equivalenceKey = null, int? iterations = null)
    {
        var test = NewTest();
        if (iterations is { } n)
        {
            // One diagnostic whose fix takes several actions, one per run of the analyzer.
            test.NumberOfIncrementalIterations = n;
            test.NumberOfFixAllIterations = n;
        }

        test.TestCode = Usings + source;
        test.FixedCode = Usings + fixedSource;
        test.CodeActionIndex = codeActionIndex;
        test.CodeActionEquivalenceKey = equivalenceKey;
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Several documents with several diagnostics: each fixed one at a time (<c>FixedState</c>), and all at once by
    /// Fix All (<c>BatchFixedState</c>), which the testing library runs in document, project and solution scope.
    /// </summary>
    public static Task FixAllAsync((string Source, string Fixed)[] documents, int? codeActionIndex = null, string? equivalenceKey = null)
    {
        var test = NewTest();
        for (var i = 0; i < documents.Length; i++)
        {
            var name = $"Driver{i}.cs";
            test.TestState.Sources.Add((name, Usings + documents[i].Source));
            test.FixedState.Sources.Add((name, Usings + documents[i].Fixed));
            test.BatchFixedState.Sources.Add((name, Usings + documents[i].Fixed));
        }

        // Markup left in a fixed document is a diagnostic that no fix is offered for (and Fix All must pass over).
        test.FixedState.MarkupHandling = MarkupMode.Allow;
        test.BatchFixedState.MarkupHandling = MarkupMode.Allow;
        test.CodeActionIndex = codeActionIndex;
        test.CodeActionEquivalenceKey = equivalenceKey;
        return test.RunAsync(CancellationToken.None);
    }

    private static Test NewTest() => new();

    private sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = new ReferenceAssemblies("net8.0");
            TestState.AdditionalReferences.AddRange(Net80.References.All);
            TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(PoolRules.Runtime.PagePool).Assembly.Location));
            TestState.AdditionalReferences.Add(ObjectPool);
        }
    }
}
