using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace PoolRules.Runtime.Tests;

/// <summary>
/// A real client of the <c>PoolRules.PagePool</c> meter: <c>dotnet-counters</c>, installed from NuGet into a temp
/// folder, attached to the running sample driver for a few seconds, shows every pool's inflight and alloc/recycle
/// series with plausible values. Every step is bounded in time.
/// </summary>
public sealed partial class DotnetCountersTests : IDisposable
{
    // The version NuGet serves here; `dotnet tool install` needs one to be reproducible.
    private const string DotnetCountersVersion = "10.0.750501";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);

    private readonly string _temp = Directory.CreateTempSubdirectory("poolrules-counters-").FullName;
    private Process? _driver;

    public void Dispose()
    {
        if (_driver is { HasExited: false })
        {
            _driver.Kill(entireProcessTree: true);
            _driver.WaitForExit(10_000);
        }

        _driver?.Dispose();
        Directory.Delete(_temp, recursive: true);
    }

    [Fact]
    public async System.Threading.Tasks.Task Dotnet_counters_attached_to_the_sample_driver_shows_inflight_alloc_and_recycle_per_pool()
    {
        var root = RepositoryRoot();
        var dotnet = DotnetHost();
        var tools = Path.Combine(_temp, "tools");
        Run(dotnet, ["tool", "install", "dotnet-counters", "--version", DotnetCountersVersion, "--tool-path", tools], _temp);
        // Up to date after a solution build; no build server or node is left behind holding this test's pipes.
        Run(dotnet, ["build", Path.Combine(root, "src", "Samples", "RxDriver", "RxDriver.csproj"), "-c", "Release", "-nologo", "-v", "q",
            "-nodeReuse:false", "-p:UseSharedCompilation=false"], root);

        // Far more frames than a few seconds take: the driver runs until the test ends it.
        var dll = Path.Combine(root, "src", "Samples", "RxDriver", "bin", "Release", "net10.0", "RxDriver.dll");
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "--frames", "4000000000", "--queues", "2" })
        {
            start.ArgumentList.Add(arg);
        }

        _driver = Process.Start(start)!;
        _driver.ErrorDataReceived += (_, _) => { };
        _driver.BeginErrorReadLine();

        // The banner comes after the pools were created and registered.
        var banner = await _driver.StandardOutput.ReadLineAsync().WaitAsync(StepTimeout);
        Assert.StartsWith("RxDriver: sim0, 2 RX queues", banner);

        var csv = Path.Combine(_temp, "counters.csv");
        Run(Path.Combine(tools, OperatingSystem.IsWindows() ? "dotnet-counters.exe" : "dotnet-counters"),
            ["collect", "--format", "csv", "-p", _driver.Id.ToString(CultureInfo.InvariantCulture), "--counters", PagePool.MeterName,
             "--refresh-interval", "1", "--duration", "00:00:05", "-o", csv], _temp);
        Assert.False(_driver.HasExited, "the driver ended during the collection");

        var rows = File.ReadAllLines(csv).Skip(1).Select(Parse).Where(r => r is not null).Select(r => r!.Value).ToList();
        Assert.NotEmpty(rows);
        foreach (var (pool, queue) in new[] { ("sim0-rx0", "0"), ("sim0-rx1", "1") })
        {
            var mine = rows.Where(r => r.Tags["pool.name"] == pool).ToList();
            Assert.All(mine, r => Assert.Equal(("sim0", queue), (r.Tags["net.device"], r.Tags["queue"])));

            // Inflight: the posted RX ring (256 pages) at least, bounded by the ring, stack backlog, TX rings and caches.
            var inflight = mine.Where(r => r.Name == "poolrules.page_pool.inflight").ToList();
            Assert.True(inflight.Count >= 2, $"{pool}: {inflight.Count} inflight samples");
            Assert.All(inflight, r => Assert.InRange(r.Value, 256, 20_000));
            var bytes = mine.Where(r => r.Name == "poolrules.page_pool.inflight_bytes").ToList();
            Assert.All(bytes, r => Assert.Equal(0, r.Value % PageAllocator.PageSize));
            Assert.All(bytes, r => Assert.InRange(r.Value, 256 * PageAllocator.PageSize, 20_000L * PageAllocator.PageSize));

            // Rates per second: frames flow, almost every allocation comes from the fast cache, and pages come back
            // both directly (XDP_DROP in the poll) and through the ring (the stack's thread).
            double Rate(string name, string tag, string value) =>
                mine.Where(r => r.Name == name && r.Tags[tag] == value).Select(r => r.Value).DefaultIfEmpty(-1).Max();
            Assert.True(Rate("poolrules.page_pool.alloc", "source", "fast") > 1000, $"{pool}: alloc fast {Rate("poolrules.page_pool.alloc", "source", "fast")}/s");
            Assert.True(Rate("poolrules.page_pool.alloc", "source", "fast") > Rate("poolrules.page_pool.alloc", "source", "slow"));
            Assert.True(Rate("poolrules.page_pool.recycle", "outcome", "cached") > 0);
            Assert.True(Rate("poolrules.page_pool.recycle", "outcome", "ring") > 0);
            foreach (var source in new[] { "fast", "slow", "slow_high_order", "empty", "refill", "waive" })
            {
                Assert.True(Rate("poolrules.page_pool.alloc", "source", source) >= 0, $"{pool}: no alloc series for source {source}");
            }

            foreach (var outcome in new[] { "cached", "cache_full", "ring", "ring_full", "released_refcnt" })
            {
                Assert.True(Rate("poolrules.page_pool.recycle", "outcome", outcome) >= 0, $"{pool}: no recycle series for outcome {outcome}");
            }
        }
    }

    // "12/01/2026 11:31:15,PoolRules.PagePool,poolrules.page_pool.alloc ({allocation} / 1 sec)[a=b;c=d],Rate,1106"
    private static (string Name, Dictionary<string, string> Tags, double Value)? Parse(string line)
    {
        var match = CsvRow().Match(line);
        if (!match.Success || match.Groups["provider"].Value != PagePool.MeterName)
        {
            return null;
        }

        var tags = match.Groups["tags"].Value.Split(';').Select(t => t.Split('=', 2)).ToDictionary(t => t[0], t => t[1]);
        return (match.Groups["name"].Value, tags, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^[^,]*,(?<provider>[^,]*),(?<name>[^ \[]+)[^\[]*\[(?<tags>[^\]]*)\],[^,]*,(?<value>[-0-9.Ee+]+)$")]
    private static partial Regex CsvRow();

    private static void Run(string file, string[] args, string workingDirectory)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(StepTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(file)} {string.Join(' ', args)} did not finish within {StepTimeout}");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            $"{Path.GetFileName(file)} {string.Join(' ', args)} exited {process.ExitCode}:\n{output.GetAwaiter().GetResult()}\n{error.GetAwaiter().GetResult()}");
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
        : "dotnet";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PoolRules.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No PoolRules.sln above {AppContext.BaseDirectory}.");
    }
}
