using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers;

/// <summary>What every rule asks of a value the same way, whatever conversions the compiler wrapped it in.</summary>
internal static class Conversions
{
    /// <summary>The operand under every conversion: a rental passed as <c>object</c>, a pool created into an interface.</summary>
    public static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation { Operand: var operand })
        {
            operation = operand;
        }

        return operation;
    }
}
