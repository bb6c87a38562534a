using Microsoft.CodeAnalysis;

namespace PoolRules.Analyzers;

/// <summary>Every PoolRules diagnostic, side by side.</summary>
public static class Descriptors
{
    private const string HelpLinkBase = "https://github.com/poolrules/poolrules/blob/main/docs/rules/";

    /// <summary>The docs page for a rule id; every descriptor's helpLinkUri comes from here.</summary>
    public static string HelpLink(string id) => HelpLinkBase + id + ".md";

    public static readonly DiagnosticDescriptor PP0001PageLeak = Create(
        "PP0001",
        "Page is not put, released or handed on",
        "Page {0} {1} here is not put, released or handed on {2}",
        Categories.Reliability,
        "A page taken from a PagePool must go back with PutPage, PutFullPage or RecycleDirect, leave it with ReleasePage, or be handed on (returned, stored, or passed to a [TakesPageOwnership] parameter) on every path; otherwise the pool's inflight count never drops and Destroy stalls.");

    public static readonly DiagnosticDescriptor PP0002DoublePut = Create(
        "PP0002",
        "Page is put or released twice",
        "Page {0} is {1} here but on some path it was already {2} at line {3}",
        Categories.Reliability,
        "A page goes back to its pool, or leaves it, exactly once; a second put or release corrupts the pool's cache and inflight accounting.");

    public static readonly DiagnosticDescriptor PP0003DirectRecycleOutsideNapi = Create(
        "PP0003",
        "Direct recycle outside a NAPI-safe context",
        "{0} is called in '{1}' which is not a NAPI-safe context: {2}",
        Categories.Reliability,
        "RecycleDirect and allowDirect: true put the page into the pool's lock-free fast cache, which only the pool's NAPI poll may touch; from any other thread they race with the poll and corrupt the cache. Call them only in a [NapiContext] method, the NapiPoll itself, or code those run directly, and not after an await.");

    public static readonly DiagnosticDescriptor PP0004PoolQueueCount = Create(
        "PP0004",
        "Page pools do not match the RX queue count",
        "{0}: a page pool serves one RX queue, so create one pool per queue (or set AllowSharedQueues = true)",
        Categories.Reliability,
        "A page pool's fast cache belongs to the NAPI context of one RX queue. A pool shared by several queues, or a pool array whose size is not the RX queue count, makes two polls use one cache at once (or leaves queues without a pool).");

    public static readonly DiagnosticDescriptor PP0005UseAfterPut = Create(
        "PP0005",
        "Page is used after it was put back",
        "Page {0} is used here after it was {1} at line {2}",
        Categories.Reliability,
        "Once a page is put back to its pool (or its last reference is dropped) another NAPI poll may already be filling it; reading its memory, its DMA address or passing it on is a use after free.");

    public static readonly DiagnosticDescriptor PP0006InvalidPoolParams = Create(
        "PP0006",
        "PagePoolParams that PagePool.Create refuses",
        "PagePool.Create refuses these parameters: {0}",
        Categories.Reliability,
        "PagePool.Create validates its parameters as the kernel's page_pool_init does and throws on a combination it refuses; with constant values the mistake is visible at build time.");

    public static readonly DiagnosticDescriptor PP0007BlockingInNapi = Create(
        "PP0007",
        "Blocking call in a NAPI context",
        "{0} blocks in '{1}', which runs in NAPI context ({2}); a NAPI poll must never block",
        Categories.Reliability,
        "A NAPI poll runs like a softirq: it must not sleep, wait, take a blocking lock, do synchronous I/O or allocate with AllocFlags.MayBlock (the kernel's GFP_KERNEL in softirq); every other queue on that poll thread stalls meanwhile.");

    public static readonly DiagnosticDescriptor PP0008WrongPool = Create(
        "PP0008",
        "Page is put to a different pool than the one it came from",
        "Page {0} came from pool '{1}' but is put to pool '{2}'",
        Categories.Reliability,
        "A page belongs to the pool that allocated it: its DMA mapping, NUMA node and inflight accounting are that pool's, so it must be put back there.");

    public static readonly DiagnosticDescriptor PP0101RentalLeak = Create(
        "PP0101",
        "Pooled value is not given back or handed on",
        "{0} {1} here is not given back or handed on {2}",
        Categories.Reliability,
        "A value taken from ArrayPool<T>.Rent, MemoryPool<T>.Rent or ObjectPool<T>.Get must go back (Return, or Dispose of the IMemoryOwner<T>) or be handed on (returned, stored, or passed to a [TakesOwnership] parameter) on every normal path; otherwise the pool allocates anew and the rental is garbage. Leaks only on exception paths are reported when .editorconfig sets dotnet_code_quality.PP0101.exception_paths = true.");

    public static readonly DiagnosticDescriptor PP0102DoubleGiveBack = Create(
        "PP0102",
        "Pooled value is given back twice",
        "{0} is given back here but on some path it was already given back at line {1}",
        Categories.Reliability,
        "A rental goes back to its pool exactly once. A second Return or Dispose puts the same array or object into the pool twice, so two later renters share it (a use after free, CWE-415/416).");

    public static readonly DiagnosticDescriptor PP0103UseAfterGiveBack = Create(
        "PP0103",
        "Pooled value is used after it was given back",
        "{0} {1} at line {2}",
        Categories.Reliability,
        "Once a rental is back in its pool another renter may already be writing it: reading or writing it, or a span, memory or segment taken from it, is a use after free (CWE-416). A view or a task that uses one must not outlive the using or try-finally that gives the rental back.");

    public static readonly DiagnosticDescriptor PP0104WrongPool = Create(
        "PP0104",
        "Pooled value is given back to a different pool",
        "{0} came from pool '{1}' but is given back to pool '{2}'",
        Categories.Reliability,
        "A rental belongs to the pool it came from: a private ArrayPool<T>.Create() pool and ArrayPool<T>.Shared (or two pool fields) keep separate buckets, and an array given to the other one leaves its own pool short and may be refused.");

    public static readonly DiagnosticDescriptor PP0105PooledFieldGivenBackTwice = Create(
        "PP0105",
        "Pooled field is given back by a method that can run twice",
        "{0} gives back the pooled value of '{1}' but on some path neither clears the field nor sets a guard it checks first, so a second call gives it back again",
        Categories.Reliability,
        "Dispose, Dispose(bool), a finalizer, Reset and Clear may all run more than once on the same object. One that returns a pooled array, object or memory owner held in a field must clear the field (or set a guard it checks on entry) on every path; otherwise the next call gives the same value back again and two later renters share it.");

    private static DiagnosticDescriptor Create(string id, string title, string message, string category, string description) =>
        new(id, title, message, category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description, HelpLink(id));

    private static class Categories
    {
        public const string Reliability = "Reliability";
    }
}
