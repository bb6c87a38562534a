using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using static PoolRules.Analyzers.Conversions;

namespace PoolRules.Analyzers.Flow;

/// <summary>Which pool a tracked value came from: the page pool (PP0001-PP0008) or one of .NET's own (PP0101-PP0104).</summary>
internal enum PoolKind : byte
{
    Page,

    /// <summary><c>System.Buffers.ArrayPool&lt;T&gt;</c>: Rent, Return.</summary>
    Array,

    /// <summary><c>System.Buffers.MemoryPool&lt;T&gt;</c>: Rent gives an <c>IMemoryOwner&lt;T&gt;</c>, Dispose gives it back.</summary>
    Memory,

    /// <summary><c>Microsoft.Extensions.ObjectPool.ObjectPool&lt;T&gt;</c>: Get, Return.</summary>
    Object,
}

/// <summary>What a pool contract says an operation does to a tracked value.</summary>
internal enum PoolEffect : byte
{
    /// <summary>No contract: the engine's general rules (summaries, hand-on, borrow) apply.</summary>
    None,

    /// <summary>The result is a value taken out of <see cref="PoolOperation.Pool"/>, owned by the caller.</summary>
    Take,

    /// <summary>The value goes back to <see cref="PoolOperation.Pool"/> (PutPage, Return, owner.Dispose()).</summary>
    GiveBack,

    /// <summary>A page leaves its pool (ReleasePage); the caller still holds one reference.</summary>
    Release,

    /// <summary>Page.Put(): the caller's reference goes.</summary>
    Drop,

    /// <summary>Page.Get(): one more reference, after which the page is no longer tracked.</summary>
    Share,

    /// <summary><c>Interlocked.Exchange(ref slot, x)</c> on a page slot: the old page is the caller's, x stays in the slot.</summary>
    SlotExchange,

    /// <summary>
    /// A page member that only looks at the page it is called on (and its arguments), or, with <see cref="PoolOperation.Pool"/>
    /// set, a pool member that only looks at its arguments.
    /// </summary>
    Use,

    /// <summary>The result is a view of the value (AsSpan, AsMemory, Slice, owner.Memory, new ArraySegment): it shares the rental's lifetime.</summary>
    View,

    /// <summary>The result is a task that may still use the arguments after the call returns (a rental's view passed to WriteAsync).</summary>
    Pending,

    /// <summary>
    /// An out argument receives a view of the value (<c>MemoryMarshal.TryGetArray(memory, out var segment)</c>): the
    /// segment, and its <c>Array</c>, are the rental behind the memory.
    /// </summary>
    ViewOut,
}

/// <summary>One operation as a pool contract sees it.</summary>
internal readonly struct PoolOperation
{
    public static readonly PoolOperation None = new(PoolEffect.None, PoolKind.Page, null, -1);

    public PoolOperation(PoolEffect effect, PoolKind kind, IOperation? pool, int valueArgument)
    {
        Effect = effect;
        Kind = kind;
        Pool = pool;
        ValueArgument = valueArgument;
    }

    public PoolEffect Effect { get; }

    /// <summary>The pool's kind for a take, give-back, release, drop or share; a view or a pending task carries whatever kind its value has.</summary>
    public PoolKind Kind { get; }

    /// <summary>The expression naming the pool taken from or given back to; null where the contract names none (owner.Dispose()).</summary>
    public IOperation? Pool { get; }

    /// <summary>For a give-back, release, drop, share or view: the index of the argument that is the value, or -1 for the receiver.</summary>
    public int ValueArgument { get; }

    public bool IsNetPool => Kind != PoolKind.Page;
}

/// <summary>
/// The one table of pool contracts: for an invocation, property read or object creation, whether it takes a value out
/// of a pool, gives one back, releases, drops or shares a page, or makes a view that shares a rental's lifetime. The
/// graph dataflow (<see cref="PageFlowRun"/>) and the clean-body proof (<see cref="CleanBodyProof"/>) both ask here and
/// decide nothing about pool members by themselves; a new kind of pool is a new row here plus its tests.
/// </summary>
internal static class PoolContracts
{
    public static PoolOperation Of(IInvocationOperation invocation, KnownSymbols known)
    {
        var method = invocation.TargetMethod;
        var instance = invocation.Instance;
        if (known.HasPages)
        {
            if (instance is not null && known.IsPagePool(method.ContainingType))
            {
                return method.Name switch
                {
                    "AllocPages" or "DevAllocPages" or "AllocFrag" or "DevAlloc" => new(PoolEffect.Take, PoolKind.Page, instance, -1),
                    "PutPage" or "PutFullPage" or "RecycleDirect" => new(PoolEffect.GiveBack, PoolKind.Page, instance, PageFlowRun.PageArgumentIndex(invocation.Arguments)),
                    "ReleasePage" => new(PoolEffect.Release, PoolKind.Page, instance, PageFlowRun.PageArgumentIndex(invocation.Arguments)),
                    _ => new(PoolEffect.Use, PoolKind.Page, instance, -1),
                };
            }

            if (instance is not null && known.IsPage(method.ContainingType))
            {
                return method switch
                {
                    { Name: "Put", Parameters.IsEmpty: true } => new(PoolEffect.Drop, PoolKind.Page, null, -1),
                    { Name: "Get", Parameters.IsEmpty: true } => new(PoolEffect.Share, PoolKind.Page, null, -1),
                    _ => new(PoolEffect.Use, PoolKind.Page, null, -1),
                };
            }

            if (method.Name == "Exchange" && known.IsPage(method.ReturnType)
                && SymbolEqualityComparer.Default.Equals(method.ContainingType, known.Interlocked) && invocation.Arguments.Length == 2)
            {
                return new(PoolEffect.SlotExchange, PoolKind.Page, null, -1);
            }
        }

        return known.NetPools is { } pools ? pools.Of(invocation) : PoolOperation.None;
    }

    public static PoolOperation Of(IPropertyReferenceOperation property, KnownSymbols known) =>
        known.NetPools is { } pools ? pools.Of(property) : PoolOperation.None;

    public static PoolOperation Of(IObjectCreationOperation creation, KnownSymbols known) =>
        known.NetPools is { } pools ? pools.Of(creation) : PoolOperation.None;

    public static PoolOperation Of(IImplicitIndexerReferenceOperation range, KnownSymbols known) =>
        known.NetPools is { } pools ? pools.Of(range) : PoolOperation.None;

    /// <summary>
    /// The syntactic pre-filter: can a call of this name be a take or a give-back in this compilation? A body with no
    /// such call (and no other page shape) gets neither a proof nor a graph.
    /// </summary>
    public static bool MayTakeOrGiveBack(string name, KnownSymbols known) =>
        (known.HasPages && name is "AllocPages" or "DevAllocPages" or "AllocFrag" or "DevAlloc" or "Exchange"
            or "PutPage" or "PutFullPage" or "RecycleDirect" or "ReleasePage" or "Put")
        || (known.NetPools is { } pools && pools.MayTakeOrGiveBack(name));

    /// <summary>The index of the argument bound to parameter <paramref name="ordinal"/>, whatever order it was written in.</summary>
    internal static int ArgumentIndex(ImmutableArray<IArgumentOperation> arguments, int ordinal)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i].Parameter?.Ordinal == ordinal)
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>The rows of <see cref="PoolContracts"/> for .NET's own pools, with their symbols resolved once per compilation.</summary>
internal sealed class NetPools
{
    private readonly INamedTypeSymbol? _arrayPool;
    private readonly INamedTypeSymbol? _memoryPool;
    private readonly INamedTypeSymbol? _memoryOwner;
    private readonly INamedTypeSymbol? _objectPool;
    private readonly INamedTypeSymbol? _memoryExtensions;
    private readonly INamedTypeSymbol? _memoryMarshal;
    private readonly ImmutableArray<INamedTypeSymbol> _views;
    private readonly INamedTypeSymbol? _task;
    private readonly INamedTypeSymbol? _taskOfT;
    private readonly INamedTypeSymbol? _valueTask;
    private readonly INamedTypeSymbol? _valueTaskOfT;

    private NetPools(Compilation compilation, INamedTypeSymbol? arrayPool, INamedTypeSymbol? memoryPool, INamedTypeSymbol? objectPool)
    {
        _arrayPool = arrayPool;
        _memoryPool = memoryPool;
        _objectPool = objectPool;
        _memoryOwner = compilation.GetTypeByMetadataName("System.Buffers.IMemoryOwner`1");
        _memoryExtensions = compilation.GetTypeByMetadataName("System.MemoryExtensions");
        _memoryMarshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.MemoryMarshal");
        var views = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
        foreach (var name in new[] { "System.Span`1", "System.ReadOnlySpan`1", "System.Memory`1", "System.ReadOnlyMemory`1", "System.ArraySegment`1" })
        {
            if (compilation.GetTypeByMetadataName(name) is { } type)
            {
                views.Add(type);
            }
        }

        _views = views.ToImmutable();
        _task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        _taskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        _valueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        _valueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
    }

    /// <summary>Null when the compilation sees none of ArrayPool, MemoryPool and ObjectPool.</summary>
    public static NetPools? For(Compilation compilation)
    {
        var arrayPool = compilation.GetTypeByMetadataName("System.Buffers.ArrayPool`1");
        var memoryPool = compilation.GetTypeByMetadataName("System.Buffers.MemoryPool`1");
        var objectPool = compilation.GetTypeByMetadataName("Microsoft.Extensions.ObjectPool.ObjectPool`1");
        return arrayPool is null && memoryPool is null && objectPool is null ? null : new NetPools(compilation, arrayPool, memoryPool, objectPool);
    }

    public bool HasObjectPool => _objectPool is not null;

    public bool MayTakeOrGiveBack(string name) => name switch
    {
        "Rent" or "Return" => true,
        "Get" => _objectPool is not null,
        _ => false,
    };

    /// <summary>A type that can hold a rental itself (not a view of one): what a helper's parameter must be for its summary to matter.</summary>
    public bool MayHoldRental(ITypeSymbol? type) => type switch
    {
        null => false,
        IArrayTypeSymbol => true,
        INamedTypeSymbol { SpecialType: SpecialType.System_String } => false,
        INamedTypeSymbol named when IsMemoryOwner(named) => true,
        INamedTypeSymbol { TypeKind: TypeKind.Class } => _objectPool is not null,
        _ => false,
    };

    public PoolOperation Of(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var instance = invocation.Instance;
        if (instance is not null && !method.IsStatic)
        {
            switch (method.Name)
            {
                case "Rent" when DerivesFrom(method.ContainingType, _arrayPool):
                    return new(PoolEffect.Take, PoolKind.Array, instance, -1);
                case "Return" when DerivesFrom(method.ContainingType, _arrayPool):
                    return new(PoolEffect.GiveBack, PoolKind.Array, instance, PoolContracts.ArgumentIndex(invocation.Arguments, 0));
                case "Rent" when DerivesFrom(method.ContainingType, _memoryPool):
                    return new(PoolEffect.Take, PoolKind.Memory, instance, -1);
                case "Get" when method.Parameters.IsEmpty && DerivesFrom(method.ContainingType, _objectPool):
                    return new(PoolEffect.Take, PoolKind.Object, instance, -1);
                case "Return" when DerivesFrom(method.ContainingType, _objectPool):
                    return new(PoolEffect.GiveBack, PoolKind.Object, instance, PoolContracts.ArgumentIndex(invocation.Arguments, 0));
                case "Dispose" when method.Parameters.IsEmpty && IsMemoryOwner(Unwrap(instance).Type):
                    // `using` disposes through IDisposable; the receiver's own type says it is a pool's owner.
                    return new(PoolEffect.GiveBack, PoolKind.Memory, null, -1);
                case "Slice" when IsView(method.ContainingType):
                    return new(PoolEffect.View, PoolKind.Array, null, -1);
            }
        }
        else if (method.IsStatic && method.Name is "AsSpan" or "AsMemory" && SymbolEqualityComparer.Default.Equals(method.ContainingType, _memoryExtensions))
        {
            return new(PoolEffect.View, PoolKind.Array, null, PoolContracts.ArgumentIndex(invocation.Arguments, 0));
        }
        else if (method.IsStatic && method.Name == "TryGetArray" && method.Parameters.Length == 2 && method.Parameters[1].RefKind == RefKind.Out
            && SymbolEqualityComparer.Default.Equals(method.ContainingType, _memoryMarshal))
        {
            return new(PoolEffect.ViewOut, PoolKind.Array, null, PoolContracts.ArgumentIndex(invocation.Arguments, 0));
        }

        return IsAwaitable(method.ReturnType) && !invocation.Arguments.IsEmpty ? new(PoolEffect.Pending, PoolKind.Array, null, -1) : PoolOperation.None;
    }

    public PoolOperation Of(IPropertyReferenceOperation property)
    {
        if (property.Instance is null || !property.Arguments.IsEmpty)
        {
            return PoolOperation.None;
        }

        return property.Property.Name switch
        {
            "Memory" when IsMemoryOwner(property.Property.ContainingType) => new(PoolEffect.View, PoolKind.Memory, null, -1),
            "Span" or "Array" when IsView(property.Property.ContainingType) => new(PoolEffect.View, PoolKind.Array, null, -1),
            _ => PoolOperation.None,
        };
    }

    /// <summary>A range over a view (<c>memory[..n]</c>, <c>span[1..]</c>) is its Slice: the same rental, as the call would be.</summary>
    public PoolOperation Of(IImplicitIndexerReferenceOperation range) =>
        range.IndexerSymbol is IMethodSymbol { Name: "Slice" } slice && IsView(slice.ContainingType)
            ? new(PoolEffect.View, PoolKind.Array, null, -1)
            : PoolOperation.None;

    public PoolOperation Of(IObjectCreationOperation creation) =>
        creation.Constructor is { } constructor && IsView(constructor.ContainingType) && !creation.Arguments.IsEmpty
            && constructor.Parameters[0].Type is IArrayTypeSymbol
            ? new(PoolEffect.View, PoolKind.Array, null, PoolContracts.ArgumentIndex(creation.Arguments, 0))
            : PoolOperation.None;

    public bool IsView(ITypeSymbol? type)
    {
        if (type?.OriginalDefinition is not INamedTypeSymbol definition)
        {
            return false;
        }

        foreach (var view in _views)
        {
            if (SymbolEqualityComparer.Default.Equals(definition, view))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsMemoryOwner(ITypeSymbol? type)
    {
        // Asked of every local's type by the proof: special types, arrays and views answer at once, the rest once per type
        // (AllInterfaces builds a substituted list on every call).
        if (_memoryOwner is null || type is null || type.SpecialType != SpecialType.None || type.TypeKind is TypeKind.Array or TypeKind.Enum or TypeKind.Pointer)
        {
            return false;
        }

        if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, _memoryOwner))
        {
            return true;
        }

        return !IsView(type) && _owners.GetOrAdd(type, ImplementsMemoryOwner);
    }

    private readonly ConcurrentDictionary<ITypeSymbol, bool> _owners = new(SymbolEqualityComparer.Default);

    private bool ImplementsMemoryOwner(ITypeSymbol type)
    {
        foreach (var implemented in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, _memoryOwner))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsAwaitable(ITypeSymbol? type) =>
        type?.OriginalDefinition is INamedTypeSymbol definition
        && (SymbolEqualityComparer.Default.Equals(definition, _task) || SymbolEqualityComparer.Default.Equals(definition, _taskOfT)
            || SymbolEqualityComparer.Default.Equals(definition, _valueTask) || SymbolEqualityComparer.Default.Equals(definition, _valueTaskOfT));

    private static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? pool)
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
