using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace PoolRules.Analyzers.Tests;

public sealed class DocsTests
{
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var id in Descriptors().Select(d => d.Id).Distinct().OrderBy(i => i))
        {
            data.Add(id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_has_a_docs_page_whose_title_matches_and_help_link_points_at_it(string id)
    {
        var descriptor = Descriptors().First(d => d.Id == id);
        var page = Path.Combine(CorpusTests.FindRepositoryRoot(), "docs", "rules", id + ".md");

        Assert.True(File.Exists(page), page + " is missing");
        Assert.Equal("# " + id + ": " + descriptor.Title, File.ReadLines(page).First());
        Assert.Equal("https://github.com/poolrules/poolrules/blob/main/docs/rules/" + id + ".md", descriptor.HelpLinkUri);
        Assert.Equal(PoolRules.Analyzers.Descriptors.HelpLink(id), descriptor.HelpLinkUri);
    }

    private static DiagnosticDescriptor[] Descriptors() =>
        AllAnalyzers.Instances.SelectMany(a => a.SupportedDiagnostics).ToArray();
}
