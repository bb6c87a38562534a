using System.Threading;
using Microsoft.CodeAnalysis;

namespace PoolRules.CodeFixes;

/// <summary>Whether inserted code runs in a NAPI-safe context, so a direct recycle is the right call there.</summary>
internal static class NapiSafety
{
    public static bool IsNapiContext(SyntaxNode member, SemanticModel model, CancellationToken cancellationToken)
    {
        var symbol = model.GetDeclaredSymbol(member, cancellationToken) ?? model.GetSymbolInfo(member, cancellationToken).Symbol;
        if (symbol is null)
        {
            return false;
        }

        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "NapiContextAttribute", ContainingNamespace: { Name: "Runtime", ContainingNamespace.Name: "PoolRules" } })
            {
                return true;
            }
        }

        return false;
    }
}
