using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PoolRules.Package.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace PoolRules.Package.Tests;

/// <summary>
/// What an editor user sees: csharp-ls 0.28.0 (Roslyn-based, the language server behind Neovim's, Emacs' and other
/// editors' C# support) on a project that references the built runtime and analyzers, with its
/// csharp.analyzersEnabled setting on. Quick fixes are not asserted here: csharp-ls 0.28.0 builds its code actions
/// from the code fix providers in Roslyn's own Features assemblies, for compiler diagnostics only, so it offers no
/// third-party code fix (on the PoolRules squiggles it offers only Roslyn refactorings such as "Extract method").
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class LanguageServerTests(ITestOutputHelper output)
{
    private const string ServerVersion = "0.28.0";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_language_server_shows_each_marked_rule_as_a_squiggle_on_its_line()
    {
        using var cancellation = new CancellationTokenSource(Deadline);
        var root = Path.Combine(Path.GetTempPath(), "poolrules-lsp-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        try
        {
            var server = await InstallServerAsync(root);
            var buggySources = Repo.Path("src", "Samples", "BuggyDriver");
            var expected = Markers.In(buggySources);
            var consumer = Consumer.Create(root, "ide", buggySources, BuiltPartsReferences(), NuGetConfig, new Dictionary<string, string>
            {
                ["NUGET_PACKAGES"] = Path.Combine(root, "packages"),
            });
            await consumer.RestoreAsync();

            await using var lsp = await LanguageServer.StartAsync(server, consumer.Directory, cancellation.Token);
            var files = expected.Select(e => e.File).Distinct().ToArray();
            foreach (var file in files)
            {
                await lsp.OpenAsync(Path.Combine(consumer.Directory, file));
            }

            var actual = new HashSet<Finding>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var loaded = false;
            var byFile = new Dictionary<string, IReadOnlyList<LspDiagnostic>>();
            foreach (var file in files.OrderByDescending(f => expected.Count(e => e.File == f)))
            {
                IReadOnlyList<LspDiagnostic> diagnostics;
                try
                {
                    diagnostics = await StableDiagnosticsAsync(lsp, Path.Combine(consumer.Directory, file), expected.Count(e => e.File == file), loaded, cancellation.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"No stable diagnostics for {file} within {Deadline}.\nServer log:\n{lsp.Log}");
                }

                loaded = true;
                byFile[file] = diagnostics;
                output.WriteLine($"{file} after {clock.Elapsed.TotalSeconds:F0} s");
                actual.UnionWith(diagnostics.Where(d => d.Code.StartsWith("PP", StringComparison.Ordinal)).Select(d => new Finding(d.Code, file, d.Line + 1)));
            }

            var missing = expected.Where(e => !actual.Contains(e)).ToArray();
            var unexpected = actual.Where(a => !expected.Contains(a)).ToArray();

            // Live re-analysis: correcting the PP0008 line in the editor (the change is sent, not saved: the fix its
            // code fix makes) removes that squiggle, while the file's other squiggles stay, which shows the answer
            // comes from a new analysis and not from an empty one.
            var rxQueue = Path.Combine(consumer.Directory, "RxQueue.cs");
            var marker = expected.Single(e => e.Id == "PP0008");
            var lines = File.ReadAllLines(rxQueue);
            Assert.Contains("_pool.RecycleDirect(copy)", lines[marker.Line - 1], StringComparison.Ordinal);
            lines[marker.Line - 1] = lines[marker.Line - 1].Replace("_pool.RecycleDirect(copy)", "_copyPool.RecycleDirect(copy)", StringComparison.Ordinal);
            await lsp.ChangeAsync(rxQueue, string.Join("\n", lines) + "\n");
            var after = await SettledAsync(lsp, rxQueue, d => d.Code == "PP0008", cancellation.Token);
            var before = byFile["RxQueue.cs"].Where(d => d.Code.StartsWith("PP", StringComparison.Ordinal) && d.Code != "PP0008").Select(d => $"{d.Code}@{d.Line}").Order().ToArray();
            var remaining = after.Where(d => d.Code.StartsWith("PP", StringComparison.Ordinal)).Select(d => $"{d.Code}@{d.Line}").Order().ToArray();

            Assert.True(missing.Length == 0 && unexpected.Length == 0,
                $"Expected (from the markers):\n{Markers.List(expected)}\nMissing:\n{Markers.List(missing)}\nUnexpected:\n{Markers.List(unexpected)}\n\nServer log:\n{lsp.Log}");
            Assert.True(before.Length > 0 && before.SequenceEqual(remaining),
                $"After correcting line {marker.Line}, RxQueue.cs should keep its other squiggles ({string.Join(", ", before)}) and lose PP0008; it has: {string.Join(", ", remaining)}\n\nServer log:\n{lsp.Log}");
        }
        finally
        {
            TryDelete(root);
        }
    }

    /// <summary>
    /// Pulls until the document's PoolRules diagnostics stop changing: the server answers with compiler diagnostics
    /// only (or nothing) while it is still loading the project and running analyzers.
    /// </summary>
    private async Task<IReadOnlyList<LspDiagnostic>> StableDiagnosticsAsync(LanguageServer lsp, string path, int expectedCount, bool loaded, CancellationToken cancellation)
    {
        var lastKey = (string?)null;
        var stableRounds = 0;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var now = await lsp.PullDiagnosticsAsync(path, cancellation);
            var pp = now.Where(d => d.Code.StartsWith("PP", StringComparison.Ordinal)).ToArray();
            var key = string.Join(";", pp.Select(d => $"{d.Code}@{d.Line}").Order());
            stableRounds = key == lastKey ? stableRounds + 1 : 0;
            lastKey = key;

            // Done when every expected squiggle is there (seen twice), or when the answer has stopped changing: an
            // empty answer only counts once the server has shown it analyzes (another file had squiggles).
            if ((pp.Length >= expectedCount && stableRounds >= 1) || ((pp.Length > 0 || loaded) && stableRounds >= 3))
            {
                output.WriteLine($"{Path.GetFileName(path)}: {key}");
                return now;
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
        }
    }

    /// <summary>Pulls until no diagnostic matches <paramref name="gone"/> or the deadline passes; returns the last answer.</summary>
    private static async Task<IReadOnlyList<LspDiagnostic>> SettledAsync(LanguageServer lsp, string path, Func<LspDiagnostic, bool> gone, CancellationToken cancellation)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var now = await lsp.PullDiagnosticsAsync(path, cancellation);
            if (!now.Any(gone) || DateTime.UtcNow > until)
            {
                return now;
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
        }
    }

    private static string BuiltPartsReferences() => $"""
            <Reference Include="PoolRules.Runtime" HintPath="{Repo.Output("runtime/PoolRules.Runtime", "net10.0", "PoolRules.Runtime.dll")}" />
            <Analyzer Include="{Repo.Output("analyzers/PoolRules.Analyzers", "netstandard2.0", "PoolRules.Analyzers.dll")}" />
            <Analyzer Include="{Repo.Output("codefixes/PoolRules.CodeFixes", "netstandard2.0", "PoolRules.CodeFixes.dll")}" />
        """;

    private const string NuGetConfig = """
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
          </packageSources>
        </configuration>
        """;

    /// <summary>Installs the pinned csharp-ls into a tool path of this run (from the configured NuGet feed) and returns its executable.</summary>
    private static async Task<string> InstallServerAsync(string root)
    {
        var toolPath = Path.Combine(root, "tools");
        var install = await Cli.DotnetAsync(root, null, "tool", "install", "csharp-ls", "--version", ServerVersion, "--tool-path", toolPath);
        var executable = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "csharp-ls.exe" : "csharp-ls");
        if (install.ExitCode != 0 || !File.Exists(executable))
        {
            throw new InvalidOperationException($"csharp-ls {ServerVersion} did not install.\n{install}");
        }

        return executable;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
