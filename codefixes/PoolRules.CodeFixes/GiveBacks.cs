using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PoolRules.Analyzers;
using PoolRules.Analyzers.Flow;

namespace PoolRules.CodeFixes;

/// <summary>
/// What the fixes need to know about a pool's own calls, asked of the engine's one table (<see cref="PoolContracts"/>)
/// so a page and a .NET rental are recognised by the same rows the rules use.
/// </summary>
internal static class GiveBacks
{
    /// <summary>
    /// The variable a pool's own give-back acts on: the page of PutPage/PutFullPage/RecycleDirect/ReleasePage or the
    /// receiver of <c>page.Put()</c>, the array or object of <c>Return</c>, the owner of <c>owner.Dispose()</c>; null for
    /// anything else, a helper that gives back included (removing or moving it removes or moves whatever else it does).
    /// </summary>
    public static ISymbol? Variable(InvocationExpressionSyntax call, SemanticModel model, CancellationToken cancellationToken) =>
        Variable(Value(call, model, cancellationToken));

    /// <summary>Whether <paramref name="call"/> is a pool's own give-back, release or drop, whatever value it acts on.</summary>
    public static bool IsGiveBack(InvocationExpressionSyntax call, SemanticModel model, CancellationToken cancellationToken) =>
        Value(call, model, cancellationToken) is not null;

    private static IOperation? Value(InvocationExpressionSyntax call, SemanticModel model, CancellationToken cancellationToken)
    {
        if (KnownSymbols.ForAnyPool(model.Compilation) is not { } known
            || model.GetOperation(call, cancellationToken) is not IInvocationOperation invocation)
        {
            return null;
        }

        var operation = PoolContracts.Of(invocation, known);
        if (operation.Effect is not (PoolEffect.GiveBack or PoolEffect.Release or PoolEffect.Drop))
        {
            return null;
        }

        return operation.ValueArgument < 0
            ? invocation.Instance
            : operation.ValueArgument < invocation.Arguments.Length ? invocation.Arguments[operation.ValueArgument].Value : null;
    }

    /// <summary>The take that <paramref name="call"/> is, as the contract table says (its kind and pool); null when it is none.</summary>
    public static PoolOperation? Take(InvocationExpressionSyntax call, SemanticModel model, CancellationToken cancellationToken) =>
        KnownSymbols.ForAnyPool(model.Compilation) is { } known
        && model.GetOperation(call, cancellationToken) is IInvocationOperation invocation
        && PoolContracts.Of(invocation, known) is { Effect: PoolEffect.Take } operation
            ? operation
            : null;

    /// <summary>A local or parameter, through implicit conversions.</summary>
    public static ISymbol? Variable(IOperation? operation)
    {
        while (operation is IConversionOperation { IsImplicit: true } conversion)
        {
            operation = conversion.Operand;
        }

        return operation switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            _ => null,
        };
    }

    /// <summary>
    /// A pool named by a path of names (<c>_pool</c>, <c>this.rx</c>, <c>ArrayPool&lt;byte&gt;.Shared</c>): reading it
    /// again at another place reads the same pool, unless the code assigns it in between (the verifier is the net).
    /// </summary>
    public static bool IsPlainName(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax or GenericNameSyntax or PredefinedTypeSyntax or ThisExpressionSyntax or AliasQualifiedNameSyntax => true,
        QualifiedNameSyntax qualified => IsPlainName(qualified.Left),
        MemberAccessExpressionSyntax member => IsPlainName(member.Expression),
        _ => false,
    };
}
