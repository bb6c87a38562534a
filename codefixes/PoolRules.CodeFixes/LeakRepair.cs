using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace PoolRules.CodeFixes;

/// <summary>
/// Where and what to insert for one PP0001 diagnostic: the page variable, the pool it came from, whether the code
/// runs in a NAPI-safe context, and for each leaking exit the statement to insert the put before (or the block to
/// append it to).
/// </summary>
internal sealed class LeakRepair
{
    private readonly string _pool;
    private readonly bool _direct;
    private readonly List<(SyntaxNode Anchor, InsertKind Kind)> _sites;

    private LeakRepair(string page, string pool, bool direct, List<(SyntaxNode, InsertKind)> sites)
    {
        Page = page;
        _pool = pool;
        _direct = direct;
        _sites = sites;
    }

    private enum InsertKind
    {
        // Before a statement: a return, throw, yield or the statement that overwrites the variable.
        Before,

        // As the last statement of a block: the end of the method body, or of the loop body that declares the page.
        AtEnd,
    }

    public string Page { get; }

    public string PutTitle => _direct
        ? $"Recycle '{Page}' directly to '{_pool}' on every leaking path"
        : $"Put '{Page}' back to '{_pool}' on every leaking path";

    public static LeakRepair? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic)
    {
        var origin = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (PageVariable(origin) is not { } page || diagnostic.AdditionalLocations.Count == 0)
        {
            return null;
        }

        var sites = new List<(SyntaxNode, InsertKind)>();
        foreach (var exit in diagnostic.AdditionalLocations)
        {
            if (exit.SourceTree != root.SyntaxTree || Site(root, exit, page) is not { } site)
            {
                return null;
            }

            if (!sites.Any(s => s.Item1 == site.Item1))
            {
                sites.Add(site);
            }
        }

        // RecycleDirect only where every insertion point is NAPI-safe (code after an await, say, is not).
        var direct = sites.All(s => NapiSafety.IsNapiSafe(s.Item1, model) && !(s.Item2 == InsertKind.AtEnd && ContainsAwait(s.Item1)));
        return new LeakRepair(page, PoolExpression(origin, page), direct, sites);
    }

    public async Task<Document> ApplyAsync(Document document, bool release, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var endOfLine = LineEndings.Of(editor.OriginalRoot);
        foreach (var (anchor, kind) in _sites)
        {
            var statements = Statements(release, endOfLine);
            if (kind == InsertKind.AtEnd)
            {
                var block = (BlockSyntax)anchor;
                editor.ReplaceNode(block, (current, _) => ((BlockSyntax)current).AddStatements(statements));
            }
            else if (anchor.Parent is BlockSyntax or SwitchSectionSyntax)
            {
                editor.InsertBefore(anchor, statements);
            }
            else
            {
                // An unbraced if/else/loop body: the put and the exit become a block.
                editor.ReplaceNode(anchor, (current, _) => SyntaxFactory.Block(statements.Append((StatementSyntax)current.WithoutTrivia()))
                    .WithTriviaFrom(current)
                    .WithAdditionalAnnotations(Formatter.Annotation));
            }
        }

        return editor.GetChangedDocument();
    }

    // Inserted statements take the document's own line ending; the formatter indents them.
    private StatementSyntax[] Statements(bool release, SyntaxTrivia endOfLine)
    {
        var text = release
            ? new[] { $"{_pool}.ReleasePage({Page});", $"{Page}.Put();" }
            : new[] { _direct ? $"{_pool}.RecycleDirect({Page});" : $"{_pool}.PutFullPage({Page}, allowDirect: false);" };
        return text
            .Select(t => SyntaxFactory.ParseStatement(t)
                .WithLeadingTrivia(SyntaxFactory.ElasticMarker)
                .WithTrailingTrivia(endOfLine)
                .WithAdditionalAnnotations(Formatter.Annotation))
            .ToArray();
    }

    // The variable that owns the page at the diagnostic's origin: `var page = pool.Alloc…()`, `page = …`, or a
    // [TakesPageOwnership] parameter.
    private static string? PageVariable(SyntaxNode origin)
    {
        if (origin is ParameterSyntax parameter)
        {
            return parameter.Identifier.ValueText;
        }

        foreach (var node in origin.AncestorsAndSelf())
        {
            switch (node)
            {
                case VariableDeclaratorSyntax declarator:
                    return declarator.Identifier.ValueText;
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax name }:
                    return name.Identifier.ValueText;
                case StatementSyntax:
                    return null;
            }
        }

        return null;
    }

    // The pool the page came from, when the allocation names it plainly (a local, parameter, field or property);
    // otherwise the page's own Pool property, which is that pool at run time.
    private static string PoolExpression(SyntaxNode origin, string page)
    {
        var invocation = origin.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        if (invocation?.Expression is MemberAccessExpressionSyntax { Expression: var receiver } && IsPlainName(receiver))
        {
            return receiver.ToString();
        }

        return $"{page}.Pool!";
    }

    private static bool IsPlainName(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax => true,
        ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax member => IsPlainName(member.Expression),
        _ => false,
    };

    private static (SyntaxNode, InsertKind)? Site(SyntaxNode root, Location exit, string page)
    {
        var node = root.FindNode(exit.SourceSpan, getInnermostNodeForTie: true);

        // The end of a body: the analyzer points at its closing brace.
        if (node is BlockSyntax block && block.CloseBraceToken.Span == exit.SourceSpan)
        {
            return (block, InsertKind.AtEnd);
        }

        var statement = node.FirstAncestorOrSelf<StatementSyntax>();
        switch (statement)
        {
            case ReturnStatementSyntax ret when ret.Expression is null || !Mentions(ret.Expression, page):
            case ThrowStatementSyntax thrown when thrown.Expression is null || !Mentions(thrown.Expression, page):
            case YieldStatementSyntax { RawKind: (int)SyntaxKind.YieldBreakStatement }:
                return (statement, InsertKind.Before);
            case LocalDeclarationStatementSyntax declaration when declaration.Declaration.Variables.Any(v => v.Identifier.ValueText == page):
                // The next iteration's allocation of a loop-scoped page.
                return declaration.Parent is BlockSyntax { Parent: { } enclosing } && IsLoop(enclosing) ? EndOfIteration(enclosing, page) : null;
            case { } loop when IsLoop(loop):
                // The loop ends while the last iteration's page is still owned.
                return EndOfIteration(loop, page);
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment }
                when name.Identifier.ValueText == page && !Mentions(assignment.Right, page):
                return (statement, InsertKind.Before);
            default:
                return null;
        }
    }

    // Code appended to a block runs after every await in it, which the block's own context does not show.
    private static bool ContainsAwait(SyntaxNode block) =>
        block.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<AwaitExpressionSyntax>().Any();

    private static bool IsLoop(SyntaxNode? node) => node is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax;

    // A page declared in a loop body goes back at the end of that body: the one place every iteration passes,
    // unless a `continue` of this loop can skip it.
    private static (SyntaxNode, InsertKind)? EndOfIteration(SyntaxNode loop, string page)
    {
        var body = loop switch
        {
            ForStatementSyntax f => f.Statement,
            ForEachStatementSyntax f => f.Statement,
            WhileStatementSyntax w => w.Statement,
            DoStatementSyntax d => d.Statement,
            _ => null,
        };
        if (body is not BlockSyntax block
            || !block.Statements.OfType<LocalDeclarationStatementSyntax>().Any(d => d.Declaration.Variables.Any(v => v.Identifier.ValueText == page))
            || block.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax) && !IsLoop(n))
                .OfType<ContinueStatementSyntax>().Any())
        {
            return null;
        }

        return (block, InsertKind.AtEnd);
    }

    private static bool Mentions(SyntaxNode node, string name) =>
        node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == name);
}
