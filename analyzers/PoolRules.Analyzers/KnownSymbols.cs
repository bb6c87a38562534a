using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace PoolRules.Analyzers;

/// <summary>The runtime's symbols, resolved once per compilation and shared by every PoolRules analyzer.</summary>
internal sealed class KnownSymbols
{
    private static readonly ConditionalWeakTable<Compilation, KnownSymbols?> Cache = new();

    private KnownSymbols(Compilation compilation, INamedTypeSymbol? pagePool, INamedTypeSymbol? page, Flow.NetPools? netPools)
    {
        Compilation = compilation;
        // Null only in a compilation without the runtime, which For never hands out: the page rules see them set.
        PagePool = pagePool!;
        Page = page!;
        HasPages = pagePool is not null && page is not null;
        NetPools = netPools;
        TakesPageOwnership = compilation.GetTypeByMetadataName("PoolRules.Runtime.TakesPageOwnershipAttribute");
        NapiContext = compilation.GetTypeByMetadataName("PoolRules.Runtime.NapiContextAttribute");
        Interlocked = compilation.GetTypeByMetadataName("System.Threading.Interlocked");
        NapiType = compilation.GetTypeByMetadataName("PoolRules.Runtime.Napi");
        NapiPoll = compilation.GetTypeByMetadataName("PoolRules.Runtime.NapiPoll");
        QueueCount = compilation.GetTypeByMetadataName("PoolRules.Runtime.QueueCountAttribute");
        NetDevice = compilation.GetTypeByMetadataName("PoolRules.Runtime.NetDevice");
        XdpRxQueueInfo = compilation.GetTypeByMetadataName("PoolRules.Runtime.XdpRxQueueInfo");
        PagePoolParams = compilation.GetTypeByMetadataName("PoolRules.Runtime.PagePoolParams");
        NapiContexts = new Napi.NapiContexts(this);
        Flow = new Flow.PageFlowCache(this);
    }

    public Compilation Compilation { get; }

    /// <summary>The compilation references PoolRules.Runtime: the page rules PP0001-PP0008 run.</summary>
    public bool HasPages { get; }

    /// <summary>.NET's own pools this compilation can see (PP0101-PP0104); null when it sees none.</summary>
    public Flow.NetPools? NetPools { get; }

    public INamedTypeSymbol PagePool { get; }

    public INamedTypeSymbol Page { get; }

    public INamedTypeSymbol? TakesPageOwnership { get; }

    public INamedTypeSymbol? NapiContext { get; }

    public INamedTypeSymbol? Interlocked { get; }

    /// <summary>PoolRules.Runtime.Napi, whose constructor takes the NAPI poll.</summary>
    public INamedTypeSymbol? NapiType { get; }

    /// <summary>The poll delegate: a method, lambda or local function converted to it runs in NAPI context.</summary>
    public INamedTypeSymbol? NapiPoll { get; }

    /// <summary>[QueueCount]: marks a value that is the number of hardware RX queues (PP0004).</summary>
    public INamedTypeSymbol? QueueCount { get; }

    public INamedTypeSymbol? NetDevice { get; }

    public INamedTypeSymbol? XdpRxQueueInfo { get; }

    public INamedTypeSymbol? PagePoolParams { get; }

    /// <summary>Which code runs in a NAPI-safe context, and why; computed on demand and memoized for this compilation (PP0003, PP0007).</summary>
    public Napi.NapiContexts NapiContexts { get; }

    /// <summary>Dataflow results and method summaries for this compilation, computed once and read by every rule.</summary>
    public Flow.PageFlowCache Flow { get; }

    /// <summary>Which trees of this compilation are generated code (see <see cref="GeneratedCode"/>), decided once per tree.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<SyntaxTree, bool> GeneratedTrees { get; } = new();

    /// <summary>Null when the compilation does not reference PoolRules.Runtime: then no page rule registers anything.</summary>
    public static KnownSymbols? For(Compilation compilation) => ForAnyPool(compilation) is { HasPages: true } known ? known : null;

    /// <summary>Null when the compilation sees neither PoolRules.Runtime nor any of .NET's pools: then no pool rule registers anything.</summary>
    public static KnownSymbols? ForAnyPool(Compilation compilation) =>
        Cache.GetValue(compilation, static c =>
        {
            var pool = c.GetTypeByMetadataName("PoolRules.Runtime.PagePool");
            var page = c.GetTypeByMetadataName("PoolRules.Runtime.Page");
            var netPools = PoolRules.Analyzers.Flow.NetPools.For(c);
            return (pool is null || page is null) && netPools is null ? null : new KnownSymbols(c, pool, page, netPools);
        });

    public bool IsPage(ITypeSymbol? type) => type is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, Page);

    /// <summary>For a tuple type with exactly one Page element, that element's index; otherwise -1.</summary>
    public int PageElement(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol { IsTupleType: true } tuple)
        {
            return -1;
        }

        var found = -1;
        var elements = tuple.TupleElements;
        for (var i = 0; i < elements.Length; i++)
        {
            if (IsPage(elements[i].Type))
            {
                if (found >= 0)
                {
                    return -1;
                }

                found = i;
            }
        }

        return found;
    }

    public bool IsPagePool(ITypeSymbol? type) => type is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, PagePool);

    /// <summary>
    /// Add, Enqueue, Push, TryWrite… on a collection of pages keeps the page it is given. Only a storing member does:
    /// <c>Contains</c>, <c>IndexOf</c>, <c>Remove</c> and the like look at the page and leave it to the caller, and a
    /// delegate invocation (an XDP program held as a <c>Func&lt;Page, int, XdpAction&gt;</c>) borrows unless its
    /// parameter is <c>[TakesPageOwnership]</c>.
    /// </summary>
    public bool StoresPages(IMethodSymbol method, IOperation? instance)
    {
        if (method.MethodKind == MethodKind.DelegateInvoke || !IsStoringMember(method.Name))
        {
            return false;
        }

        if (instance?.Type is INamedTypeSymbol receiver && receiver.TypeArguments.Any(IsPage))
        {
            return true;
        }

        return method.ContainingType is { } containing && containing.TypeArguments.Any(IsPage);
    }

    /// <summary>The members by which a collection, channel, block or completion source keeps what it is given.</summary>
    private static bool IsStoringMember(string name) => name switch
    {
        "Add" or "AddFirst" or "AddLast" or "AddRange" or "Append" or "Prepend" or "Insert" or "InsertRange"
            or "Enqueue" or "TryEnqueue" or "EnqueueRange" or "Push" or "TryPush" or "PushRange" or "TryAdd" or "GetOrAdd"
            or "AddOrUpdate" or "TryUpdate" or "set_Item" or "Set" or "SetValue" or "TryWrite" or "Write" or "WriteAsync"
            or "Post" or "SendAsync" or "TrySetResult" or "SetResult" or "Return" or "Produce" or "TryProduce" or "Offer" or "TryOffer"
            or "Store" or "Publish" => true,
        _ => false,
    };

    /// <summary>
    /// A parameter that takes over the duty to give a value back: <c>[TakesPageOwnership]</c>, or any attribute class
    /// named TakesOwnershipAttribute in any namespace (a project may declare its own; the runtime ships one).
    /// </summary>
    public bool TakesAnyOwnership(IParameterSymbol parameter)
    {
        if (TakesOwnership(parameter))
        {
            return true;
        }

        if (NetPools is null)
        {
            return false;
        }

        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "TakesOwnershipAttribute" })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A storing member of a generic collection, channel or completion source of the stored value's type: a rental (or
    /// a view of one) given to it is handed on (PP0101), and escapes when the collection is kept in a field (PP0103).
    /// </summary>
    public bool StoresRentals(IMethodSymbol method, IOperation? instance, IOperation argument)
    {
        if (NetPools is null || method.MethodKind == MethodKind.DelegateInvoke || !IsStoringMember(method.Name))
        {
            return false;
        }

        // Only a collection of the value's own type keeps it: List<byte>.AddRange(rented) copies the bytes out. The type
        // it is converted to counts as well: List<ReadOnlyMemory<byte>>.Add(rented) keeps a view of the rental.
        var receiver = instance?.Type as INamedTypeSymbol ?? method.ContainingType;
        return receiver is not null
            && (Keeps(receiver, method, argument.Type) || Keeps(receiver, method, Conversions.Unwrap(argument).Type));

        static bool Keeps(INamedTypeSymbol receiver, IMethodSymbol method, ITypeSymbol? stored) =>
            stored is not null
            && (receiver.TypeArguments.Contains(stored, SymbolEqualityComparer.Default) || method.ContainingType.TypeArguments.Contains(stored, SymbolEqualityComparer.Default));
    }

    /// <summary>
    /// A call whose callee outside this compilation keeps a rental (or a view of it) it is given, as far as can be
    /// told without its body: a constructor taking an array, a view or a class (<c>new ReadOnlySequence&lt;byte&gt;(segment, ...)</c>
    /// is captured by the object made), or a parameter of an interface this project's type implements
    /// (<c>ThreadPool.UnsafeQueueUserWorkItem(handler, ...)</c>: the callee will call back into it). Precision before
    /// recall: a lost rental inside such an object goes unreported.
    /// </summary>
    public bool KeepsRental(IMethodSymbol method, IParameterSymbol parameter, IOperation argument)
    {
        if (NetPools is not { } pools || method.DeclaringSyntaxReferences.Length > 0 || parameter.RefKind != RefKind.None)
        {
            return false;
        }

        if (method.MethodKind == MethodKind.Constructor)
        {
            // A string is a copy of the characters it is made from.
            return method.ContainingType.SpecialType == SpecialType.None && (pools.MayHoldRental(parameter.Type) || pools.IsView(parameter.Type));
        }

        var given = (argument is Microsoft.CodeAnalysis.Operations.IConversionOperation conversion ? conversion.Operand : argument).Type;
        return parameter.Type is INamedTypeSymbol { TypeKind: TypeKind.Interface } callback && given is INamedTypeSymbol { TypeKind: TypeKind.Class } own
            && own.DeclaringSyntaxReferences.Length > 0 && own.AllInterfaces.Contains(callback, SymbolEqualityComparer.Default);
    }

    public bool TakesOwnership(IParameterSymbol parameter)
    {
        if (TakesPageOwnership is null)
        {
            return false;
        }

        foreach (var attribute in parameter.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, TakesPageOwnership))
            {
                return true;
            }
        }

        return false;
    }
}
