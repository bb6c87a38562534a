namespace PoolRules.CodeFixes;

/// <summary>
/// The equivalence key of every code action, in one place: Fix All groups diagnostics by these, so they must be
/// stable across runs and distinct per action.
/// </summary>
internal static class EquivalenceKeys
{
    public const string InsertPut = "PoolRules.PP0001.InsertPut";

    public const string InsertRelease = "PoolRules.PP0001.InsertRelease";

    public const string PutThroughRing = "PoolRules.PP0003.PutThroughRing";

    public const string MarkNapiContext = "PoolRules.PP0003.MarkNapiContext";

    public const string CreatePoolPerQueue = "PoolRules.PP0004.CreatePoolPerQueue";

    public const string SizePoolsByQueueCount = "PoolRules.PP0004.SizePoolsByQueueCount";

    public const string AddDmaMap = "PoolRules.PP0006.AddDmaMap";

    public const string SetMaxLength = "PoolRules.PP0006.SetMaxLength";

    public const string AddDmaMapAndMaxLength = "PoolRules.PP0006.AddDmaMapAndMaxLength";

    public const string RemoveDmaSync = "PoolRules.PP0006.RemoveDmaSync";

    public const string RemoveSecondPut = "PoolRules.PP0002.RemoveSecondPut";

    public const string PutToOwningPool = "PoolRules.PP0008.PutToOwningPool";

    public const string ClearFieldBeforeGiveBack = "PoolRules.PP0105.ClearFieldBeforeGiveBack";
}
