using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace PoolRules.Package.Tests.Support;

/// <summary>Reads the canonical-format diagnostics (<c>file(line,col): warning ID: message [project]</c>) out of MSBuild console output.</summary>
internal static partial class BuildLog
{
    [GeneratedRegex(@"^\s*(?<file>[^\s(][^(]*)\((?<line>\d+),\d+(?:,\d+,\d+)?\): (?<severity>warning|error) (?<id>[A-Z]+\d+): ", RegexOptions.Multiline)]
    private static partial Regex DiagnosticPattern();

    /// <summary>Distinct findings of <paramref name="severity"/> (the summary repeats each one) whose id starts with <paramref name="prefix"/>.</summary>
    public static IReadOnlySet<Finding> Findings(string output, string severity, string prefix = "") =>
        DiagnosticPattern().Matches(output)
            .Where(m => m.Groups["severity"].Value == severity && m.Groups["id"].Value.StartsWith(prefix, System.StringComparison.Ordinal))
            .Select(m => new Finding(m.Groups["id"].Value, Path.GetFileName(m.Groups["file"].Value.Trim()), int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToHashSet();
}
