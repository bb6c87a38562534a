namespace PoolRules.CodeFixes;

/// <summary>
/// The equivalence key of every code action, in one place: Fix All groups diagnostics by these, so they must be
/// stable across runs and distinct per action.
/// </summary>
internal static class EquivalenceKeys
{
    public const string InsertPut = "PoolRules.PP0001.InsertPut";

    public const string InsertRelease = "PoolRules.PP0001.InsertRelease";

    public const string RemoveSecondPut = "PoolRules.PP0002.RemoveSecondPut";

    public const string PutToOwningPool = "PoolRules.PP0008.PutToOwningPool";
}
