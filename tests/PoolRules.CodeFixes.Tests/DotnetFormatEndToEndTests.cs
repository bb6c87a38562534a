using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace PoolRules.CodeFixes.Tests;

/// <summary>
/// The fixes through a real client: <c>dotnet format analyzers</c> loads the built analyzers and fixes into a small
/// driver project with seeded mistakes, rewrites it with Fix All, and the result builds without PoolRules warnings.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DotnetFormatEndToEndTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "poolrules-format-" + Guid.NewGuid().ToString("N"));

    public DotnetFormatEndToEndTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_dir);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file; the temp folder is cleaned by the OS.
        }
    }

    [Fact]
    public async Task Dotnet_format_fixes_every_fixable_finding_past_the_unfixable_ones_and_the_result_builds()
    {
        var bin = AppContext.BaseDirectory;
        var runtime = typeof(PoolRules.Runtime.PagePool).Assembly.Location;
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(_dir, "Driver.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="PoolRules.Runtime" HintPath="{runtime}" />
                <Analyzer Include="{Path.Combine(bin, "PoolRules.Analyzers.dll")}" />
                <Analyzer Include="{Path.Combine(bin, "PoolRules.CodeFixes.dll")}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_dir, "Rx.cs"), """
            using System.Threading.Tasks;
            using PoolRules.Runtime;

            namespace Seeded;

            public sealed class Rx
            {
                private readonly PagePool _pool;

                public Rx(PagePool pool) => _pool = pool;

                // Nothing names this page, so no edit can give it back: it has no fix, and it comes first, which is
                // where Fix All used to give up on the whole rule.
                public void Warm()
                {
                    _pool.DevAllocPages();
                }

                public int Fill(bool bad)
                {
                    var page = _pool.DevAllocPages();
                    if (page is null)
                    {
                        return 0;
                    }

                    if (bad)
                    {
                        return -1;
                    }

                    _pool.PutFullPage(page, allowDirect: false);
                    return 1;
                }

                public void Drop(Page page)
                {
                    _pool.PutFullPage(page, allowDirect: false);
                    _pool.PutFullPage(page, allowDirect: false);
                }
            }
            """);
        File.WriteAllText(Path.Combine(_dir, "Completion.cs"), """
            using System.Threading.Tasks;
            using PoolRules.Runtime;

            namespace Seeded;

            public static class Completion
            {
                public static Task Later(PagePool pool, Page page) => Task.Run(() => pool.RecycleDirect(page));
            }
            """);

        File.WriteAllText(Path.Combine(_dir, "Pools.cs"), """
            using PoolRules.Runtime;

            namespace Seeded;

            public static class Pools
            {
                // Which ring size was meant is the author's call: no fix, and it comes first.
                public static PagePool Big() => PagePool.Create(new PagePoolParams { PoolSize = 40000 });

                public static PagePool Synced(IDmaDevice dev) => PagePool.Create(new PagePoolParams { Flags = PagePoolFlags.DmaSyncDevice, Device = dev, MaxLength = 1024 });
            }
            """);

        var (formatCode, formatOutput) = await RunAsync("format", "analyzers", "Driver.csproj", "--diagnostics", "PP0001", "PP0002", "PP0003", "PP0006", "--severity", "warn", "-v", "diag");
        Assert.True(formatCode == 0, "dotnet format failed:\n" + formatOutput);
        Assert.DoesNotContain("Fix All action", formatOutput, StringComparison.Ordinal);

        var rx = File.ReadAllText(Path.Combine(_dir, "Rx.cs"));
        var completion = File.ReadAllText(Path.Combine(_dir, "Completion.cs"));
        _output.WriteLine(rx);
        _output.WriteLine(completion);

        // PP0001: the early return now gives the page back; PP0002: one put left in Drop; PP0003: through the ring.
        Assert.Matches(new Regex(@"if \(bad\)\s*\{\s*_pool\.PutFullPage\(page, allowDirect: false\);\s*return -1;"), rx);
        Assert.Single(Regex.Matches(rx.Substring(rx.IndexOf("void Drop", StringComparison.Ordinal)), @"PutFullPage"));
        Assert.Contains("Task.Run(() => pool.PutFullPage(page, allowDirect: false))", completion, StringComparison.Ordinal);
        var pools = File.ReadAllText(Path.Combine(_dir, "Pools.cs"));
        Assert.Contains("Flags = PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice, Device = dev", pools, StringComparison.Ordinal);
        Assert.Contains("PoolSize = 40000", pools, StringComparison.Ordinal);

        var (buildCode, buildOutput) = await RunAsync("build", "Driver.csproj", "-nologo", "-clp:NoSummary");
        Assert.True(buildCode == 0, "the fixed project does not build:\n" + buildOutput);
        // What is left is exactly the two findings no fix is offered for.
        var poolRulesWarnings = buildOutput.Split('\n').Where(l => Regex.IsMatch(l, @"warning PP\d{4}")).Select(l => Regex.Match(l, @"(\w+\.cs)\(\d+,\d+\): warning (PP\d{4})").Value).Distinct().Order().ToArray();
        Assert.Equal([@"Pools.cs(8,74): warning PP0006", @"Rx.cs(16,9): warning PP0001"], poolRulesWarnings);
    }

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Keep the child away from this test host's MSBuild settings.
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        _output.WriteLine($"dotnet {string.Join(' ', arguments)} → {process.ExitCode}\n{output}");
        return (process.ExitCode, output);
    }
}
