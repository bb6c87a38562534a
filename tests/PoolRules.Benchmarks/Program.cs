using BenchmarkDotNet.Running;

namespace PoolRules.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/PoolRules.Benchmarks -- --filter '*'</c> runs every benchmark;
/// <c>--filter '*FastPath*'</c>, <c>'*RingPath*'</c>, <c>'*PtrRing*'</c>, <c>'*SlowPath*'</c> one class.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
