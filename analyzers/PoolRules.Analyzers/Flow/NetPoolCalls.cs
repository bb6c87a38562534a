using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// The .NET pools' take and give-back calls as PP0105 needs them: <c>ArrayPool&lt;T&gt;.Rent</c>/<c>Return</c>,
/// <c>MemoryPool&lt;T&gt;.Rent</c> and the owner's <c>Dispose</c>, <c>ObjectPool&lt;T&gt;.Get</c>/<c>Return</c>, on the
/// pool types or any type derived from them. Resolved once per compilation.
/// </summary>
internal sealed class NetPoolCalls
{
    private NetPoolCalls(INamedTypeSymbol arrayPool, INamedTypeSymbol? memoryPool, INamedTypeSymbol? memoryOwner, INamedTypeSymbol? objectPool)
    {
        ArrayPool = arrayPool;
        MemoryPool = memoryPool;
        MemoryOwner = memoryOwner;
        ObjectPool = objectPool;
    }

    public INamedTypeSymbol ArrayPool { get; }

    public INamedTypeSymbol? MemoryPool { get; }

    /// <summary>System.Buffers.IMemoryOwner`1, what MemoryPool&lt;T&gt;.Rent hands out.</summary>
    public INamedTypeSymbol? MemoryOwner { get; }

    /// <summary>Microsoft.Extensions.ObjectPool.ObjectPool`1, null when the compilation does not reference it.</summary>
    public INamedTypeSymbol? ObjectPool { get; }

    /// <summary>Null only in a compilation without a corlib that has ArrayPool&lt;T&gt;.</summary>
    public static NetPoolCalls? For(Compilation compilation) =>
        compilation.GetTypeByMetadataName("System.Buffers.ArrayPool`1") is { } arrayPool
            ? new NetPoolCalls(
                arrayPool,
                compilation.GetTypeByMetadataName("System.Buffers.MemoryPool`1"),
                compilation.GetTypeByMetadataName("System.Buffers.IMemoryOwner`1"),
                compilation.GetTypeByMetadataName("Microsoft.Extensions.ObjectPool.ObjectPool`1"))
            : null;

    /// <summary>Whether a field of this type could hold something a pool handed out: an array, a memory owner, or (with ObjectPool referenced) any reference.</summary>
    public bool CouldHoldRental(ITypeSymbol type) =>
        type is IArrayTypeSymbol || IsMemoryOwner(type) || (ObjectPool is not null && type.IsReferenceType && type.SpecialType != SpecialType.System_String);

    /// <summary>A call that takes a value out of a pool: Rent on an ArrayPool or MemoryPool, Get on an ObjectPool.</summary>
    public bool IsTake(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        return method.Name switch
        {
            "Rent" => !method.IsStatic && (DerivesFrom(method.ContainingType, ArrayPool) || DerivesFrom(method.ContainingType, MemoryPool)),
            "Get" => !method.IsStatic && DerivesFrom(method.ContainingType, ObjectPool),
            _ => false,
        };
    }

    /// <summary>The operand a call gives back to its pool (Return's first argument, a memory owner's Dispose receiver), or null.</summary>
    public IOperation? GivenBack(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.IsStatic)
        {
            return null;
        }

        if (method.Name == "Return" && method.Parameters.Length >= 1
            && (DerivesFrom(method.ContainingType, ArrayPool) || DerivesFrom(method.ContainingType, ObjectPool)))
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Ordinal == 0)
                {
                    return argument.Value;
                }
            }

            return null;
        }

        return method.Name == "Dispose" && method.Parameters.IsEmpty && invocation.Instance is { Type: { } receiver } instance && IsMemoryOwner(receiver)
            ? instance
            : null;
    }

    private bool IsMemoryOwner(ITypeSymbol type)
    {
        if (MemoryOwner is null)
        {
            return false;
        }

        if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, MemoryOwner))
        {
            return true;
        }

        foreach (var implemented in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, MemoryOwner))
            {
                return true;
            }
        }

        return false;
    }

    private static bool DerivesFrom(INamedTypeSymbol? type, INamedTypeSymbol? pool)
    {
        if (pool is null)
        {
            return false;
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, pool))
            {
                return true;
            }
        }

        return false;
    }
}
