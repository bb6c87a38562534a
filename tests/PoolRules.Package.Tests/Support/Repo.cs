using System;
using System.IO;

namespace PoolRules.Package.Tests.Support;

/// <summary>Paths inside the repository the tests run from.</summary>
internal static class Repo
{
    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "PoolRules.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No PoolRules.sln above '{AppContext.BaseDirectory}': the tests must run from a build inside the repository.");
    });

    public static string Root => LazyRoot.Value;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>The configuration this test assembly was built in, which the part projects were built in too.</summary>
    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>
    /// Copies the repository's sources (no bin/, obj/, .git/ or test results) under <paramref name="destination"/>,
    /// so a pack with a private NUGET_PACKAGES restores and builds there: a restore rewrites obj/project.assets.json,
    /// and doing that in the working tree would point the user's own build at a folder the test then deletes.
    /// </summary>
    public static string CopySourcesTo(string destination)
    {
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
        {
            var relative = System.IO.Path.GetRelativePath(Root, file);
            var first = relative.Split(System.IO.Path.DirectorySeparatorChar);
            if (Array.Exists(first, part => part is "bin" or "obj" or ".git" or "TestResults"))
            {
                continue;
            }

            var target = System.IO.Path.Combine(destination, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return destination;
    }

    /// <summary>What restore wrote into the working tree (every obj/project.assets.json and obj/*.nuget.g.*), by path.</summary>
    public static System.Collections.Generic.Dictionary<string, string> RestoreState()
    {
        var state = new System.Collections.Generic.Dictionary<string, string>();
        foreach (var obj in Directory.EnumerateDirectories(Root, "obj", SearchOption.AllDirectories))
        {
            foreach (var file in Directory.EnumerateFiles(obj))
            {
                var name = System.IO.Path.GetFileName(file);
                if (name == "project.assets.json" || name.Contains(".nuget.g.", StringComparison.Ordinal))
                {
                    state[System.IO.Path.GetRelativePath(Root, file)] = File.ReadAllText(file);
                }
            }
        }

        return state;
    }

    /// <summary>The built output of a part project, e.g. ("analyzers/PoolRules.Analyzers", "netstandard2.0", "PoolRules.Analyzers.dll").</summary>
    public static string Output(string project, string framework, string file)
    {
        var path = Path(project, "bin", Configuration, framework, file);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' was not built; build tests/PoolRules.Package.Tests in {Configuration} first.", path);
        }

        return path;
    }
}
