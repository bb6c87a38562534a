using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0005: moves the put down its own block to just after the statement that last uses the page. Only a pool's own
/// put (<c>PutPage</c>, <c>PutFullPage</c>, <c>RecycleDirect</c>) or the <c>page.Put()</c> after a release, standing as
/// a statement, moves, and only within its statement list: lifting it out of a branch or a loop, or into one, changes
/// which paths give the page back, so a put that is not a sibling of the use gets no fix. PP0103, a .NET rental (or a
/// view of it) used after its <c>Return</c> or <c>owner.Dispose()</c>, gets the same move of that give-back.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0005MovePutAfterLastUseCodeFix))]
[Shared]
public sealed class PP0005MovePutAfterLastUseCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0005UseAfterPut.Id, Descriptors.PP0103UseAfterGiveBack.Id);

    public override FixAllProvider GetFixAllProvider() => VerifiedFixAllProvider.Instance;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            // The analyzer reports at the use and points at the put.
            if (diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree
                || Moved(root, model, diagnostic, context.CancellationToken) is not { } fixedRoot)
            {
                continue;
            }

            var (title, key) = diagnostic.Id == Descriptors.PP0103UseAfterGiveBack.Id
                ? ("Move the give-back after the rental's last use", EquivalenceKeys.MoveGiveBackAfterLastUse)
                : ("Move the put after the page's last use", EquivalenceKeys.MovePutAfterLastUse);
            await VerifiedFixes.RegisterAsync(context, diagnostic, title, key, context.Document.WithSyntaxRoot(fixedRoot)).ConfigureAwait(false);
        }
    }

    private static SyntaxNode? Moved(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { Parent: ExpressionStatementSyntax put } call
            || GiveBacks.Variable(call, model, cancellationToken) is not { } page
            || put.Parent is not (BlockSyntax or SwitchSectionSyntax))
        {
            return null;
        }

        var statements = put.Parent is BlockSyntax block ? block.Statements : ((SwitchSectionSyntax)put.Parent).Statements;
        var tracked = new HashSet<ISymbol>(SymbolEqualityComparer.Default) { page };
        var use = diagnostic.Location.SourceSpan;
        if (GiveBacks.Variable(model.GetOperation(root.FindNode(use, getInnermostNodeForTie: true), cancellationToken)) is { } alias)
        {
            // The use may read the page through another name (`var alias = page;`).
            tracked.Add(alias);
        }

        AddViews(put.Parent.Parent ?? put.Parent, tracked, model, cancellationToken);

        var last = -1;
        var useFound = false;
        for (var i = statements.IndexOf(put) + 1; i < statements.Count; i++)
        {
            var statement = statements[i];
            if (statement is LocalFunctionStatementSyntax)
            {
                // Where a local function is declared says nothing about when it runs.
                continue;
            }

            var mentions = statement.DescendantNodes().OfType<IdentifierNameSyntax>()
                .Where(n => model.GetSymbolInfo(n, cancellationToken).Symbol is { } symbol && tracked.Contains(symbol)).ToList();
            if (mentions.Any(n => n.Ancestors().TakeWhile(a => a != statement).Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
            {
                // A lambda may run after the moved put as well as before; only the author knows when.
                return null;
            }

            // A later assignment starts another page; a later give-back is PP0002's business.
            if (Writes(statement, tracked, model) || statement.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(c => GiveBacks.Variable(c, model, cancellationToken) is { } p && tracked.Contains(p)))
            {
                break;
            }

            var containsUse = statement.Span.Contains(use);
            if (containsUse || mentions.Count > 0)
            {
                last = i;
                useFound |= containsUse;
            }
        }

        if (!useFound || ChangesInputs(put, statements, last, model, cancellationToken))
        {
            return null;
        }

        // Indices, not nodes: a list with the put taken out holds new nodes. The put came before the last use.
        var moved = statements.RemoveAt(statements.IndexOf(put));
        var at = last - 1;
        if (statements[last] is ReturnStatementSyntax { Expression: { } value and not RefExpressionSyntax } exit
            && model.GetTypeInfo(value, cancellationToken).Type is { TypeKind: not TypeKind.Error }
            && !value.DescendantNodesAndSelf().Any(n => n is AwaitExpressionSyntax))
        {
            // `return page.Span[0];`: the value is read into a local first, so the put can sit between read and return.
            var name = FreeName(model, exit.SpanStart, "result");
            var read = SyntaxFactory.LocalDeclarationStatement(SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName("var"),
                    SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(name).WithInitializer(SyntaxFactory.EqualsValueClause(value.WithoutTrivia())))))
                .WithTriviaFrom(exit);
            var result = exit.WithExpression(SyntaxFactory.IdentifierName(name).WithTriviaFrom(value)).WithLeadingTrivia(Indentation(exit));
            moved = moved.RemoveAt(at).InsertRange(at, new StatementSyntax[] { read, put, result });
        }
        else if (statements[last] is ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax or YieldStatementSyntax)
        {
            // After a jump the put would never run.
            return null;
        }
        else
        {
            moved = moved.Insert(at + 1, put);
        }

        return put.Parent is BlockSyntax original
            ? root.ReplaceNode(original, original.WithStatements(moved))
            : root.ReplaceNode(put.Parent, ((SwitchSectionSyntax)put.Parent).WithStatements(moved));
    }

    // Whether a statement the put would move past assigns what the put reads (its pool, a sync length): the moved
    // put would then do something else. Calls that change a field out of sight are not seen; the verifier is the net.
    private static bool ChangesInputs(ExpressionStatementSyntax put, SyntaxList<StatementSyntax> statements, int last, SemanticModel model, CancellationToken cancellationToken)
    {
        var inputs = new HashSet<ISymbol>(
            put.DescendantNodes().OfType<IdentifierNameSyntax>()
                .Select(n => model.GetSymbolInfo(n, cancellationToken).Symbol)
                .Where(s => s is ILocalSymbol or IParameterSymbol or IFieldSymbol or IPropertySymbol)!,
            SymbolEqualityComparer.Default);
        for (var i = statements.IndexOf(put) + 1; i <= last; i++)
        {
            var statement = statements[i];
            var flow = model.AnalyzeDataFlow(statement);
            if (flow is not { Succeeded: true } || flow.WrittenInside.Any(inputs.Contains))
            {
                return true;
            }

            var targets = statement.DescendantNodes().Select(n => n switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left,
                PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
                PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => postfix.Operand,
                ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument => argument.Expression,
                _ => null,
            });
            if (targets.Any(t => t is not null && model.GetSymbolInfo(t, cancellationToken).Symbol is { } symbol && inputs.Contains(symbol)))
            {
                return true;
            }
        }

        return false;
    }

    // Locals that hold a view of the value (`Span<byte> span = buffer;`, `var memory = owner.Memory;`): a use of one
    // is a use of the value, so the give-back must not land before it.
    private static void AddViews(SyntaxNode scope, HashSet<ISymbol> tracked, SemanticModel model, CancellationToken cancellationToken)
    {
        var declarators = scope.DescendantNodes().OfType<VariableDeclaratorSyntax>().Where(d => d.Initializer is not null).ToList();
        for (var added = true; added;)
        {
            added = false;
            foreach (var declarator in declarators)
            {
                if (model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol { Type: { } type } local && IsView(type) && !tracked.Contains(local)
                    && declarator.Initializer!.Value.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
                        .Any(n => model.GetSymbolInfo(n, cancellationToken).Symbol is { } symbol && tracked.Contains(symbol)))
                {
                    tracked.Add(local);
                    added = true;
                }
            }
        }
    }

    private static bool IsView(ITypeSymbol type) =>
        type is INamedTypeSymbol { ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true }, Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" or "ArraySegment" };

    private static SyntaxTriviaList Indentation(SyntaxNode node) =>
        node.GetLeadingTrivia() is { Count: > 0 } leading && leading.Last().IsKind(SyntaxKind.WhitespaceTrivia) ? SyntaxFactory.TriviaList(leading.Last()) : default;

    private static string FreeName(SemanticModel model, int position, string name)
    {
        var candidate = name;
        for (var n = 2; model.LookupSymbols(position, name: candidate).Length > 0; n++)
        {
            candidate = name + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    private static bool Writes(StatementSyntax statement, HashSet<ISymbol> tracked, SemanticModel model)
    {
        var flow = model.AnalyzeDataFlow(statement);
        return flow is not { Succeeded: true } || flow.WrittenInside.Any(tracked.Contains);
    }
}
