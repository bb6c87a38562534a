using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace PoolRules.Package.Tests.Support;

/// <summary>
/// Packs src/PoolRules once into a folder feed under a fresh temp directory and sets up the consumer projects
/// that build against it. Restores go to a private packages folder, so a package from an earlier run (same version,
/// other contents) can never be picked up from the machine's global cache.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime
{
    public const string PackageVersion = "0.1.0";

    private readonly Lazy<Task<CliResult>> _buggyBuild;
    private string _nugetConfig = "";

    public PackageFeed()
    {
        Root = Path.Combine(Path.GetTempPath(), "poolrules-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        FeedDirectory = Path.Combine(Root, "feed");
        Environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Path.Combine(Root, "packages"),
        };
        _buggyBuild = new(() => Buggy.BuildAsync("-p:ErrorLog=" + SarifPath + "%2Cversion%3D2.1"));
    }

    public string Root { get; }

    public string FeedDirectory { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public string PackagePath => Path.Combine(FeedDirectory, $"PoolRules.{PackageVersion}.nupkg");

    public string SarifPath => Path.Combine(Root, "buggy.sarif");

    /// <summary>The buggy driver's sources in a consumer project that references the package.</summary>
    internal Consumer Buggy { get; private set; } = null!;

    /// <summary>The RxDriver's sources in a consumer project that references the package.</summary>
    internal Consumer Correct { get; private set; } = null!;

    internal IReadOnlyList<Finding> Expected { get; private set; } = null!;

    /// <summary>The working tree's restore output before anything was packed.</summary>
    internal IReadOnlyDictionary<string, string> RestoreStateBefore { get; private set; } = null!;

    /// <summary>One plain build of the buggy consumer, with a SARIF 2.1 error log; several tests read it.</summary>
    internal Task<CliResult> BuggyBuild => _buggyBuild.Value;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(FeedDirectory);
        RestoreStateBefore = Repo.RestoreState();

        // Pack a copy: the working tree's build state (obj/, bin/) must come out of this test as it went in.
        var source = Repo.CopySourcesTo(Path.Combine(Root, "source"));
        var pack = await Cli.DotnetAsync(source, Environment, "pack", Path.Combine(source, "src", "PoolRules", "PoolRules.csproj"), "-c", Repo.Configuration, "-o", FeedDirectory, "-tl:off", "-nologo");
        if (pack.ExitCode != 0 || !File.Exists(PackagePath))
        {
            throw new InvalidOperationException($"Packing src/PoolRules did not produce {PackagePath}.\n{pack}");
        }

        _nugetConfig = $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{FeedDirectory}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
            </configuration>
            """;
        var buggySources = Repo.Path("src", "Samples", "BuggyDriver");
        Expected = Markers.In(buggySources);
        Buggy = CreateConsumer("buggy", buggySources);
        Correct = CreateConsumer("correct", Repo.Path("src", "Samples", "RxDriver"));
        await Task.WhenAll(Buggy.RestoreAsync(), Correct.RestoreAsync());
    }

    /// <summary>Another consumer of the package with the sources of <paramref name="sourceDirectory"/>, not yet restored.</summary>
    internal Consumer CreateConsumer(string name, string sourceDirectory) =>
        Consumer.Create(Root, name, sourceDirectory, $"""    <PackageReference Include="PoolRules" Version="{PackageVersion}" />""", _nugetConfig, Environment);

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file; the temp directory is cleaned by the OS.
        }

        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class PackageFeedCollection : ICollectionFixture<PackageFeed>
{
    public const string Name = "package feed";
}
