using Xunit;

// Every test here drives whole `dotnet` builds or a language server; on a 2-core machine running them side by side
// only makes each slower and its deadline tighter.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
