using Microsoft.CodeAnalysis;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>Whether code inserted at a node runs in a NAPI-safe context, by the analyzers' own definition (PP0003).</summary>
internal static class NapiSafety
{
    public static bool IsNapiSafe(SyntaxNode node, SemanticModel model) =>
        KnownSymbols.For(model.Compilation)?.NapiContexts.ContextOf(node, model)?.IsSafe == true;
}
