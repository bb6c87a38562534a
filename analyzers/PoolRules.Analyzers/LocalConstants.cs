using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers;

/// <summary>
/// The constant value of an operand: a compile-time constant, or a local that is initialized with one and never
/// written again (<c>var order = 11; ... Order = order</c>).
/// </summary>
internal static class LocalConstants
{
    public static bool TryGet(IOperation? value, out object? constant)
    {
        constant = null;
        if (value is null)
        {
            return false;
        }

        if (value.ConstantValue.HasValue)
        {
            constant = value.ConstantValue.Value;
            return true;
        }

        while (value is IConversionOperation { Operand: var operand })
        {
            value = operand;
        }

        if (value.ConstantValue.HasValue)
        {
            constant = value.ConstantValue.Value;
            return true;
        }

        return value is ILocalReferenceOperation { Local: { IsConst: false, IsRef: false } local } reference
            && reference.SemanticModel is { } model
            && TryGetNeverWrittenLocal(local, model, out constant);
    }

    private static bool TryGetNeverWrittenLocal(ILocalSymbol local, SemanticModel model, out object? constant)
    {
        constant = null;
        if (local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator
            || declarator.SyntaxTree != model.SyntaxTree)
        {
            return false;
        }

        var initialValue = model.GetOperation(initializer);
        if (initialValue is null || !initialValue.ConstantValue.HasValue)
        {
            return false;
        }

        // The local's scope is at most the body that declares it; any write there (nested lambdas included) disqualifies it.
        SyntaxNode scope = declarator;
        while (scope.Parent is { } parent && scope is not (BlockSyntax or ArrowExpressionClauseSyntax or SwitchSectionSyntax))
        {
            scope = parent;
        }

        foreach (var node in scope.DescendantNodes())
        {
            if (node is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == local.Name && IsWrite(identifier)
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier).Symbol, local))
            {
                return false;
            }
        }

        constant = initialValue.ConstantValue.Value;
        return true;
    }

    private static bool IsWrite(ExpressionSyntax name)
    {
        // Climb through tuples and parentheses, the only shapes a written local can sit in on an assignment's left.
        ExpressionSyntax expression = name;
        while (expression.Parent is ParenthesizedExpressionSyntax or ArgumentSyntax { Parent: TupleExpressionSyntax } or TupleExpressionSyntax)
        {
            expression = expression.Parent is ArgumentSyntax { Parent: TupleExpressionSyntax tuple } ? tuple : (ExpressionSyntax)expression.Parent;
        }

        return expression.Parent switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left == expression,
            PrefixUnaryExpressionSyntax prefix => prefix.IsKind(SyntaxKind.PreIncrementExpression) || prefix.IsKind(SyntaxKind.PreDecrementExpression) || prefix.IsKind(SyntaxKind.AddressOfExpression),
            PostfixUnaryExpressionSyntax postfix => postfix.IsKind(SyntaxKind.PostIncrementExpression) || postfix.IsKind(SyntaxKind.PostDecrementExpression),
            ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None) && !argument.RefKindKeyword.IsKind(SyntaxKind.InKeyword),
            RefExpressionSyntax => true,
            _ => false,
        };
    }
}
