using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Flow;

/// <summary>Names the pool a receiver expression denotes, so PP0008 can compare the allocating and the putting pool.</summary>
internal static class PoolKeys
{
    private const int MaxAliasDepth = 3;

    public static PoolKey? Of(IOperation? receiver, KnownSymbols known) => Of(receiver, known, 0);

    private static PoolKey? Of(IOperation? receiver, KnownSymbols known, int depth)
    {
        switch (receiver)
        {
            case IConversionOperation conversion:
                return Of(conversion.Operand, known, depth);
            case IParameterReferenceOperation parameter:
                return new PoolKey("P:" + parameter.Parameter.Name, parameter.Parameter.Name);
            case IFieldReferenceOperation field:
                return new PoolKey("F:" + known.Flow.DisplayOf(field.Field) + "@" + InstanceKey(field.Instance), receiver.Syntax.ToString());
            case IPropertyReferenceOperation { Arguments.IsEmpty: true } property when known.IsPage(property.Property.ContainingType):
                // `page.Pool` is the pool that accounts for the page: a put through it never goes to another pool.
                return null;
            case IPropertyReferenceOperation { Arguments.IsEmpty: true } property:
                // A property that returns a pool field (`PagePool Pool => _pool;`) is that field.
                var key = known.Flow.BackingField(property.Property) is { } backing
                    ? "F:" + known.Flow.DisplayOf(backing)
                    : "M:" + known.Flow.DisplayOf(property.Property);
                return new PoolKey(key + "@" + InstanceKey(property.Instance), receiver.Syntax.ToString());
            case ILocalReferenceOperation local:
                // `var pool = _pools[q];` style aliases: a local initialised from a named pool is that pool.
                var initializer = (local.Local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() as VariableDeclaratorSyntax)?.Initializer?.Value;
                if (initializer is not null && depth < MaxAliasDepth && known.Compilation.ContainsSyntaxTree(initializer.SyntaxTree))
                {
#pragma warning disable RS1030 // Only the local's own initializer is bound, once per PP0008 check.
                    var model = receiver.SemanticModel ?? known.Compilation.GetSemanticModel(initializer.SyntaxTree);
#pragma warning restore RS1030
                    if (model.SyntaxTree == initializer.SyntaxTree && Of(model.GetOperation(initializer), known, depth + 1) is { } aliased)
                    {
                        return new PoolKey(aliased.Key, local.Local.Name);
                    }
                }

                return new PoolKey("L:" + local.Local.Name, local.Local.Name);
            default:
                return null;
        }
    }

    /// <summary>
    /// A .NET pool, named only where this code says which pool it is: a field, a property (<c>ArrayPool&lt;T&gt;.Shared</c>,
    /// one that returns a field), or a local initialised from one of those or from a new pool (<c>ArrayPool&lt;T&gt;.Create()</c>).
    /// A parameter, or a local picked at run time (<c>pool ?? ArrayPool&lt;T&gt;.Shared</c>), may be any pool: null, and PP0104 compares nothing.
    /// </summary>
    public static PoolKey? OfRentalPool(IOperation? receiver, KnownSymbols known) => OfRentalPool(receiver, known, 0);

    private static PoolKey? OfRentalPool(IOperation? receiver, KnownSymbols known, int depth)
    {
        switch (receiver)
        {
            case IConversionOperation conversion:
                return OfRentalPool(conversion.Operand, known, depth);
            case IFieldReferenceOperation or IPropertyReferenceOperation:
                return Of(receiver, known, depth);
            case ILocalReferenceOperation local:
                var initializer = (local.Local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() as VariableDeclaratorSyntax)?.Initializer?.Value;
                if (initializer is null || depth >= MaxAliasDepth || !known.Compilation.ContainsSyntaxTree(initializer.SyntaxTree))
                {
                    return null;
                }

#pragma warning disable RS1030 // Only the local's own initializer is bound, once per PP0104 check.
                var model = receiver.SemanticModel ?? known.Compilation.GetSemanticModel(initializer.SyntaxTree);
#pragma warning restore RS1030
                if (model.SyntaxTree != initializer.SyntaxTree)
                {
                    return null;
                }

                var value = model.GetOperation(initializer);
                while (value is IConversionOperation converted)
                {
                    value = converted.Operand;
                }

                if (value is IObjectCreationOperation or IInvocationOperation { TargetMethod: { Name: "Create", IsStatic: true } })
                {
                    // A pool made here is its own pool, whatever else the method names.
                    return new PoolKey("L:" + local.Local.Name + "@" + initializer.SpanStart, local.Local.Name);
                }

                return OfRentalPool(value, known, depth + 1) is { } aliased ? new PoolKey(aliased.Key, local.Local.Name) : null;
            default:
                return null;
        }
    }

    private static string InstanceKey(IOperation? instance) => instance switch
    {
        null or IInstanceReferenceOperation => "this",
        _ => PageFlowRun.Normalize(instance.Syntax.ToString()),
    };
}
