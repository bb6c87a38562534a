using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;

namespace PoolRules.Package.Tests.Support;

/// <summary>
/// A project outside the repository, the way a driver team would have one: its own folder under the temp
/// directory, blockers so no Directory.Build.* or central package management from above leaks in, and a NuGet.config.
/// </summary>
internal sealed class Consumer
{
    private readonly IReadOnlyDictionary<string, string> _environment;

    private Consumer(string directory, IReadOnlyDictionary<string, string> environment)
    {
        Directory = directory;
        _environment = environment;
    }

    public string Directory { get; }

    public string ProjectFile => Path.Combine(Directory, "Consumer.csproj");

    /// <summary>Creates the folder with the sources of <paramref name="sourceDirectory"/> and a project holding <paramref name="items"/>.</summary>
    public static Consumer Create(string parent, string name, string sourceDirectory, string items, string nugetConfig, IReadOnlyDictionary<string, string> environment)
    {
        var directory = Path.Combine(parent, name);
        System.IO.Directory.CreateDirectory(directory);
        foreach (var blocker in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(directory, blocker), "<Project />\n");
        }

        File.WriteAllText(Path.Combine(directory, "NuGet.config"), nugetConfig);
        File.WriteAllText(Path.Combine(directory, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
            {items}
              </ItemGroup>
            </Project>
            """);
        foreach (var (source, relative) in SourcesOf(sourceDirectory))
        {
            var target = Path.Combine(directory, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }

        return new Consumer(directory, environment);
    }

    // The project's own .cs files (subfolders kept) and those it links in from elsewhere (<Compile Include="…" Link="…" />).
    private static IEnumerable<(string Source, string Relative)> SourcesOf(string projectDirectory)
    {
        foreach (var source in System.IO.Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(projectDirectory, source);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (!Array.Exists(parts, part => part is "bin" or "obj"))
            {
                yield return (source, relative);
            }
        }

        foreach (var project in System.IO.Directory.EnumerateFiles(projectDirectory, "*.csproj"))
        {
            foreach (var compile in System.Xml.Linq.XDocument.Load(project).Descendants("Compile"))
            {
                if (compile.Attribute("Include")?.Value is { } include)
                {
                    var source = Path.GetFullPath(Path.Combine(projectDirectory, include));
                    yield return (source, compile.Attribute("Link")?.Value ?? Path.GetFileName(source));
                }
            }
        }
    }

    public Task<CliResult> RunAsync(params string[] args) => Cli.DotnetAsync(Directory, _environment, args);

    public async Task RestoreAsync()
    {
        var restore = await RunAsync("restore", ProjectFile, "-tl:off");
        if (restore.ExitCode != 0)
        {
            throw new InvalidOperationException("The consumer project did not restore.\n" + restore);
        }
    }

    /// <summary>An ordinary, incremental build, as a user's second `dotnet build` is.</summary>
    public Task<CliResult> IncrementalBuildAsync(params string[] properties) =>
        RunAsync(["build", ProjectFile, "--no-restore", "-tl:off", "-nologo", "-c", "Release", .. properties]);

    /// <summary>A full rebuild (so each property set really reaches the compiler), without the terminal logger.</summary>
    public Task<CliResult> BuildAsync(params string[] properties) =>
        RunAsync(["build", ProjectFile, "--no-restore", "--no-incremental", "-tl:off", "-nologo", "-c", "Release", .. properties]);
}
