using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace PoolRules.Package.Tests.Support;

/// <summary>A diagnostic at a line of a file (1-based), as a build log or a language server reports it.</summary>
internal sealed record Finding(string Id, string File, int Line)
{
    public override string ToString() => $"{Id} at {File}:{Line}";
}

/// <summary>
/// The expected findings of the buggy driver: every line that carries a <c>// PP000N: why</c> comment expects
/// that rule's diagnostic on that line.
/// </summary>
internal static partial class Markers
{
    [GeneratedRegex(@"//\s*(PP\d{4}):")]
    private static partial Regex MarkerPattern();

    public static IReadOnlyList<Finding> In(string directory)
    {
        var findings = new List<Finding>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.cs").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match match in MarkerPattern().Matches(lines[i]))
                {
                    findings.Add(new Finding(match.Groups[1].Value, Path.GetFileName(file), i + 1));
                }
            }
        }

        if (findings.Count == 0)
        {
            throw new InvalidOperationException($"No '// PP000N:' markers in {directory}.");
        }

        return findings;
    }

    public static string List(IEnumerable<Finding> findings) =>
        string.Join("\n", findings.Select(f => "  " + f).DefaultIfEmpty("  (none)"));
}
