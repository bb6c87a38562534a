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
