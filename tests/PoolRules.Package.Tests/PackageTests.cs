using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using System.Xml.Linq;
using PoolRules.Package.Tests.Support;
using Xunit;

namespace PoolRules.Package.Tests;

/// <summary>The package as a driver team consumes it: one PackageReference from a feed, then dotnet build.</summary>
[Trait("Category", "EndToEnd")]
[Collection(PackageFeedCollection.Name)]
public sealed class PackageTests(PackageFeed feed)
{
    // Every rule has its page (DocsTests holds descriptors and pages to that), so the pages name the package's rules.
    private static readonly string[] RuleIds = Directory.GetFiles(Repo.Path("docs", "rules"), "PP*.md").Select(Path.GetFileNameWithoutExtension).ToArray()!;

    [Fact]
    public void Package_carries_the_runtime_for_both_frameworks_the_analyzers_the_fixes_and_the_strict_preset()
    {
        using var zip = ZipFile.OpenRead(feed.PackagePath);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        string[] required =
        [
            "lib/net8.0/PoolRules.Runtime.dll",
            "lib/net8.0/PoolRules.Runtime.xml",
            "lib/net10.0/PoolRules.Runtime.dll",
            "lib/net10.0/PoolRules.Runtime.xml",
            "lib/net8.0/PoolRules.Xdp.dll",
            "lib/net8.0/PoolRules.Xdp.xml",
            "lib/net10.0/PoolRules.Xdp.dll",
            "lib/net10.0/PoolRules.Xdp.xml",
            "analyzers/dotnet/cs/PoolRules.Analyzers.dll",
            "analyzers/dotnet/cs/PoolRules.CodeFixes.dll",
            "buildTransitive/PoolRules.targets",
            "buildTransitive/PoolRules.Strict.globalconfig",
            "README.md",
        ];
        Assert.True(required.All(entries.Contains), "Missing from the package: " + string.Join(", ", required.Where(r => !entries.Contains(r))) + "\nEntries:\n" + string.Join("\n", entries.Order()));

        // Roslyn must never be shipped next to the analyzers (the host supplies it), nor anything else in lib/.
        Assert.DoesNotContain(entries, e => e.Contains("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase));
        Assert.All(entries.Where(e => e.StartsWith("lib/", StringComparison.Ordinal)), e => Assert.Matches(@"^PoolRules\.(Runtime|Xdp)\.(dll|xml)$", Path.GetFileName(e)));

        var nuspecEntry = zip.Entries.Single(e => e.FullName == "PoolRules.nuspec");
        using var stream = nuspecEntry.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        Assert.Equal("PoolRules", Value("id"));
        Assert.Equal(PackageFeed.PackageVersion, Value("version"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("README.md", Value("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Value("authors")));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));
        Assert.Contains("analyzers", Value("tags") ?? "", StringComparison.Ordinal);
        Assert.Null(Value("developmentDependency"));
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("https://github.com/poolrules/poolrules", repository.Attribute("url")?.Value);

        // The parts ship inside; the package depends on no other package (least of all unpublished part packages).
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")?.Value).ToArray();
        Assert.True(dependencies.Length == 0, "Unexpected package dependencies: " + string.Join(", ", dependencies));
    }

    [Fact]
    public async Task Building_the_buggy_driver_reports_each_marked_rule_at_its_file_and_line_and_no_other()
    {
        var build = await feed.BuggyBuild;
        Assert.True(build.ExitCode == 0, "The buggy driver must build (its findings are warnings).\n" + build);

        var actual = BuildLog.Findings(build.Output, "warning", "PP");
        var missing = feed.Expected.Where(e => !actual.Contains(e)).ToArray();
        var unexpected = actual.Where(a => !feed.Expected.Contains(a)).ToArray();
        Assert.True(missing.Length == 0 && unexpected.Length == 0,
            $"Expected (from the markers):\n{Markers.List(feed.Expected)}\nMissing:\n{Markers.List(missing)}\nUnexpected:\n{Markers.List(unexpected)}\n\n{build}");

        // The driver's other code is clean: the PoolRules findings are the only warnings.
        var others = BuildLog.Findings(build.Output, "warning").Where(f => !f.Id.StartsWith("PP", StringComparison.Ordinal)).ToArray();
        Assert.True(others.Length == 0, "Warnings other than PoolRules':\n" + Markers.List(others));
    }

    [Fact]
    public async Task Building_the_buggy_driver_with_warnings_as_errors_fails_on_the_rules()
    {
        var build = await feed.Buggy.BuildAsync("-p:TreatWarningsAsErrors=true");
        Assert.True(build.ExitCode != 0, "TreatWarningsAsErrors=true must fail the build of the buggy driver.\n" + build);
        var errors = BuildLog.Findings(build.Output, "error", "PP");
        var missing = feed.Expected.Where(e => !errors.Contains(e)).ToArray();
        Assert.True(missing.Length == 0, $"Not reported as errors:\n{Markers.List(missing)}\n\n{build}");
    }

    [Fact]
    public async Task The_strict_preset_makes_every_rule_an_error()
    {
        var build = await feed.Buggy.BuildAsync("-p:PoolRulesStrict=true");
        Assert.True(build.ExitCode != 0, "PoolRulesStrict=true must fail the build of the buggy driver.\n" + build);
        var errors = BuildLog.Findings(build.Output, "error", "PP");
        var missing = feed.Expected.Where(e => !errors.Contains(e)).ToArray();
        Assert.True(missing.Length == 0, $"Not reported as errors under the strict preset:\n{Markers.List(missing)}\n\n{build}");
        Assert.Empty(BuildLog.Findings(build.Output, "warning", "PP"));
    }

    [Fact]
    public async Task Turning_the_strict_preset_on_and_off_on_an_up_to_date_project_recompiles_each_time()
    {
        var consumer = feed.CreateConsumer("strict-toggle", Repo.Path("src", "Samples", "BuggyDriver"));
        await consumer.RestoreAsync();
        var plain = await consumer.IncrementalBuildAsync();
        Assert.True(plain.ExitCode == 0, plain.ToString());

        // Nothing changed but the property: the compile must run again, or the preset would print 0 errors.
        var strict = await consumer.IncrementalBuildAsync("-p:PoolRulesStrict=true");
        Assert.True(strict.ExitCode != 0, "The strict build of an up-to-date project must fail on the rules.\n" + strict);
        Assert.Equal(feed.Expected.Count, BuildLog.Findings(strict.Output, "error", "PP").Count);

        var again = await consumer.IncrementalBuildAsync();
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(feed.Expected.Count, BuildLog.Findings(again.Output, "warning", "PP").Count);
    }

    [Fact]
    public async Task Packing_and_building_consumers_leaves_the_working_trees_restore_state_as_it_was()
    {
        await feed.BuggyBuild;
        var after = Repo.RestoreState();
        var changed = feed.RestoreStateBefore.Keys.Union(after.Keys)
            .Where(path => !feed.RestoreStateBefore.TryGetValue(path, out var before) || !after.TryGetValue(path, out var now) || before != now)
            .ToArray();
        Assert.True(changed.Length == 0, "Restore output changed in the working tree:\n" + string.Join("\n", changed));
        Assert.DoesNotContain(after.Values, text => text.Contains(feed.Root, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_the_PoolRules_project_of_the_solution_is_packable()
    {
        var projects = File.ReadLines(Repo.Path("PoolRules.sln"))
            .Where(line => line.StartsWith("Project(", StringComparison.Ordinal) && line.Contains(".csproj", StringComparison.Ordinal))
            .Select(line => line.Split('"')[5].Replace('\\', Path.DirectorySeparatorChar))
            .ToArray();
        Assert.Contains(projects, p => p.EndsWith("PoolRules.csproj", StringComparison.Ordinal) && p.StartsWith("src", StringComparison.Ordinal));

        var packable = await Task.WhenAll(projects.Select(async project =>
        {
            var result = await Cli.DotnetAsync(Repo.Root, null, "msbuild", Repo.Path(project), "-getProperty:IsPackable", "-nologo");
            Assert.True(result.ExitCode == 0, result.ToString());
            return (project, packable: result.Output.Trim() == "true");
        }));
        Assert.Equal([Path.Combine("src", "PoolRules", "PoolRules.csproj")], packable.Where(p => p.packable).Select(p => p.project));
    }

    [Fact]
    public async Task An_editorconfig_entry_overrides_the_strict_preset_for_its_rule()
    {
        var consumer = feed.CreateConsumer("strict-relaxed", Repo.Path("src", "Samples", "BuggyDriver"));
        File.WriteAllText(Path.Combine(consumer.Directory, ".editorconfig"), "root = true\n\n[*.cs]\ndotnet_diagnostic.PP0003.severity = warning\ndotnet_diagnostic.PP0007.severity = none\n");
        await consumer.RestoreAsync();
        var build = await consumer.BuildAsync("-p:PoolRulesStrict=true");

        var pp0003 = feed.Expected.Single(e => e.Id == "PP0003");
        Assert.True(BuildLog.Findings(build.Output, "warning", "PP").SetEquals([pp0003]), "Only PP0003 should be a warning.\n" + build);
        Assert.DoesNotContain(BuildLog.Findings(build.Output, "error", "PP"), f => f.Id is "PP0003" or "PP0007");
        Assert.Contains(BuildLog.Findings(build.Output, "error", "PP"), f => f.Id == "PP0001");
    }

    [Fact]
    public async Task The_sarif_log_lists_each_reported_rule_with_its_help_link_and_each_marked_result()
    {
        var build = await feed.BuggyBuild;
        Assert.True(File.Exists(feed.SarifPath), $"No SARIF log at {feed.SarifPath}.\n{build}");
        using var sarif = JsonDocument.Parse(File.ReadAllText(feed.SarifPath));
        Assert.Equal("2.1.0", sarif.RootElement.GetProperty("version").GetString());
        var run = sarif.RootElement.GetProperty("runs")[0];

        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
            .Where(r => r.GetProperty("id").GetString()!.StartsWith("PP", StringComparison.Ordinal))
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.TryGetProperty("helpUri", out var uri) ? uri.GetString() : null);
        foreach (var id in feed.Expected.Select(e => e.Id).Distinct())
        {
            Assert.True(rules.TryGetValue(id, out var helpUri), $"{id} is not among the SARIF rules: {string.Join(", ", rules.Keys)}");
            Assert.Equal($"https://github.com/poolrules/poolrules/blob/main/docs/rules/{id}.md", helpUri);
        }

        Assert.All(rules.Keys, id => Assert.Contains(id, RuleIds));

        var results = run.GetProperty("results").EnumerateArray()
            .Where(r => r.GetProperty("ruleId").GetString()!.StartsWith("PP", StringComparison.Ordinal))
            .Select(r =>
            {
                var location = r.GetProperty("locations")[0].GetProperty("physicalLocation");
                var uri = new Uri(location.GetProperty("artifactLocation").GetProperty("uri").GetString()!);
                return new Finding(r.GetProperty("ruleId").GetString()!, Path.GetFileName(uri.LocalPath), location.GetProperty("region").GetProperty("startLine").GetInt32());
            })
            .ToHashSet();
        var missing = feed.Expected.Where(e => !results.Contains(e)).ToArray();
        Assert.True(missing.Length == 0, $"Not in the SARIF results:\n{Markers.List(missing)}\nResults:\n{Markers.List(results)}");
    }

    [Fact]
    public async Task The_correct_driver_builds_warning_free_against_the_package()
    {
        var build = await feed.Correct.BuildAsync("-p:TreatWarningsAsErrors=true");
        Assert.True(build.ExitCode == 0, "The RxDriver must build with warnings as errors.\n" + build);
        var warnings = BuildLog.Findings(build.Output, "warning");
        Assert.True(warnings.Count == 0, "Warnings:\n" + Markers.List(warnings));
    }
}
