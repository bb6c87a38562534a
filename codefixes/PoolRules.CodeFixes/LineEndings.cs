using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PoolRules.CodeFixes;

internal static class LineEndings
{
    /// <summary>The document's own line ending, so inserted lines match their neighbours (CRLF only where the file has none).</summary>
    public static SyntaxTrivia Of(SyntaxNode node)
    {
        var endOfLine = node.SyntaxTree.GetRoot().DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        return endOfLine.IsKind(SyntaxKind.EndOfLineTrivia) ? endOfLine : SyntaxFactory.CarriageReturnLineFeed;
    }
}
