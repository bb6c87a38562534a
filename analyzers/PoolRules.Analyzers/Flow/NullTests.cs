using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Flow;

/// <summary>What one outcome of a test says about a value being null.</summary>
internal enum Nullness
{
    Unknown,
    Null,
    NotNull,
}

/// <summary>The null tests the engine and the clean-body proof refine on: `x == null`, `x != null`, `x is null`, `x is not null`, `x is { }`, type patterns.</summary>
internal static class NullTests
{
    public static IOperation? NullComparand(IBinaryOperation binary)
    {
        if (binary.OperatorKind is not (BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals))
        {
            return null;
        }

        if (IsNullConstant(binary.RightOperand))
        {
            return binary.LeftOperand;
        }

        return IsNullConstant(binary.LeftOperand) ? binary.RightOperand : null;
    }

    public static bool IsNullConstant(IOperation operation) =>
        operation.ConstantValue.HasValue && operation.ConstantValue.Value is null;

    public static (Nullness WhenTrue, Nullness WhenFalse) PatternNullness(IPatternOperation pattern)
    {
        switch (pattern)
        {
            case IConstantPatternOperation constant when IsNullConstant(constant.Value):
                return (Nullness.Null, Nullness.NotNull);
            case INegatedPatternOperation negated:
                var (whenTrue, whenFalse) = PatternNullness(negated.Pattern);
                return (whenFalse, whenTrue);
            case IDeclarationPatternOperation or ITypePatternOperation:
                return (Nullness.NotNull, Nullness.Null);
            case IRecursivePatternOperation recursive:
                var empty = recursive.PropertySubpatterns.IsEmpty && recursive.DeconstructionSubpatterns.IsEmpty;
                return (Nullness.NotNull, empty ? Nullness.Null : Nullness.Unknown);
            default:
                return (Nullness.Unknown, Nullness.Unknown);
        }
    }
}
