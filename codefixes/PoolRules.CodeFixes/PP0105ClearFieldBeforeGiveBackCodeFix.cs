using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0105: clears the field before the give-back, keeping the value in a local so the give-back still sees it:
/// <c>var b = _buf; _buf = null; if (b is not null) pool.Return(b);</c> (<c>b?.Dispose();</c> for a memory owner).
/// Clearing the field and then giving back the field itself would give back nothing (the leak of the
/// Pipelines.Sockets.Unofficial case). A <c>readonly</c> field loses <c>readonly</c> and a non-nullable one becomes
/// nullable; the verifier refuses the fix where that makes another use of the field warn.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0105ClearFieldBeforeGiveBackCodeFix))]
[Shared]
public sealed class PP0105ClearFieldBeforeGiveBackCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0105PooledFieldGivenBackTwice.Id);

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
            var changed = await FixAsync(context.Document, root, model, diagnostic, context.CancellationToken).ConfigureAwait(false);
            await VerifiedFixes.RegisterAsync(context, diagnostic, "Clear the field before giving it back", EquivalenceKeys.ClearFieldBeforeGiveBack, changed).ConfigureAwait(false);
        }
    }

    private static async Task<Document?> FixAsync(Document document, SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var giveBack = node.AncestorsAndSelf().OfType<ExpressionSyntax>().FirstOrDefault(e => e.Span == diagnostic.Location.SourceSpan);
        if (giveBack is null || GivenBackField(giveBack, model, cancellationToken) is not { } target)
        {
            return null;
        }

        var (fieldExpression, field) = target;
        var name = LocalName(field, model, giveBack.SpanStart);
        var endOfLine = LineEndings.Of(root);
        var eol = endOfLine.ToFullString();
        var fieldText = fieldExpression.WithoutTrivia().ToFullString();
        var call = giveBack.ReplaceNode(Strip(fieldExpression, giveBack), SyntaxFactory.IdentifierName(name));
        var give = giveBack is ConditionalAccessExpressionSyntax || IsDispose(giveBack)
            ? $"{name}?.Dispose();"
            : $"if ({name} is not null){eol}{{{eol}{call.WithoutTrivia().ToFullString()};{eol}}}";
        var statements = new[] { $"var {name} = {fieldText};", $"{fieldText} = null;", give }
            .Select(t => SyntaxFactory.ParseStatement(t).WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithTrailingTrivia(endOfLine).WithAdditionalAnnotations(Formatter.Annotation))
            .ToArray();

        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        switch (giveBack.Parent)
        {
            case ExpressionStatementSyntax { Parent: BlockSyntax or SwitchSectionSyntax } statement:
                editor.InsertBefore(statement, statements.Take(2));
                editor.ReplaceNode(statement, statements[2].WithTriviaFrom(statement));
                break;
            case ExpressionStatementSyntax statement:
                editor.ReplaceNode(statement, SyntaxFactory.Block(statements).WithTriviaFrom(statement).WithAdditionalAnnotations(Formatter.Annotation));
                break;
            case ArrowExpressionClauseSyntax { Parent: MethodDeclarationSyntax method } when method.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword }:
                editor.ReplaceNode(method, method.WithExpressionBody(null).WithSemicolonToken(default)
                    .WithBody(SyntaxFactory.Block(statements).WithTrailingTrivia(method.SemicolonToken.TrailingTrivia))
                    .WithAdditionalAnnotations(Formatter.Annotation));
                break;
            case ArrowExpressionClauseSyntax { Parent: DestructorDeclarationSyntax destructor }:
                editor.ReplaceNode(destructor, destructor.WithExpressionBody(null).WithSemicolonToken(default)
                    .WithBody(SyntaxFactory.Block(statements).WithTrailingTrivia(destructor.SemicolonToken.TrailingTrivia))
                    .WithAdditionalAnnotations(Formatter.Annotation));
                break;
            default:
                return null;
        }

        // The field must take the null: not readonly, and nullable where nullable annotations are on.
        if (field.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: FieldDeclarationSyntax declaration } variables }
            && declaration.SyntaxTree == root.SyntaxTree)
        {
            var readonlyToken = declaration.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.ReadOnlyKeyword));
            var nullable = field.Type.IsReferenceType && field.NullableAnnotation == NullableAnnotation.NotAnnotated && variables.Type is not NullableTypeSyntax;
            if (readonlyToken != default || nullable)
            {
                editor.ReplaceNode(declaration, (current, _) =>
                {
                    var updated = (FieldDeclarationSyntax)current;
                    if (updated.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.ReadOnlyKeyword)) is { RawKind: (int)SyntaxKind.ReadOnlyKeyword } token)
                    {
                        var index = updated.Modifiers.IndexOf(token);
                        var modifiers = updated.Modifiers.RemoveAt(index);
                        // The trivia before `readonly` (its line's indentation, when it came first) stays.
                        updated = index == 0 && modifiers.Count > 0
                            ? updated.WithModifiers(modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(token.LeadingTrivia)))
                            : updated.WithModifiers(modifiers);
                        if (updated.Modifiers.Count == 0)
                        {
                            updated = updated.WithDeclaration(updated.Declaration.WithType(updated.Declaration.Type.WithLeadingTrivia(token.LeadingTrivia)));
                        }
                    }

                    if (nullable)
                    {
                        var type = updated.Declaration.Type;
                        updated = updated.WithDeclaration(updated.Declaration.WithType(SyntaxFactory.NullableType(type.WithoutTrivia()).WithTriviaFrom(type)));
                    }

                    return updated;
                });
            }
        }

        return editor.GetChangedDocument();
    }

    /// <summary>The field read the give-back hands to the pool (Return's first argument, the receiver of Dispose), with its symbol.</summary>
    private static (ExpressionSyntax Expression, IFieldSymbol Field)? GivenBackField(ExpressionSyntax giveBack, SemanticModel model, CancellationToken cancellationToken)
    {
        var operand = giveBack switch
        {
            ConditionalAccessExpressionSyntax access => access.Expression,
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose" } member } when IsDispose(giveBack) => member.Expression,
            InvocationExpressionSyntax invocation => invocation.ArgumentList.Arguments.FirstOrDefault(a => a.NameColon is null)?.Expression,
            _ => null,
        };
        if (operand is null)
        {
            return null;
        }

        var unwrapped = Unwrap(operand);
        return unwrapped is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }
            && model.GetSymbolInfo(unwrapped, cancellationToken).Symbol is IFieldSymbol { IsStatic: false } field
            ? (unwrapped, field)
            : null;
    }

    private static bool IsDispose(ExpressionSyntax giveBack) =>
        giveBack is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose" }, ArgumentList.Arguments.Count: 0 };

    // `_buffer!` and `(_buffer)` read the field as `_buffer` does.
    private static ExpressionSyntax Unwrap(ExpressionSyntax expression) => expression switch
    {
        PostfixUnaryExpressionSyntax postfix when postfix.IsKind(SyntaxKind.SuppressNullableWarningExpression) => Unwrap(postfix.Operand),
        ParenthesizedExpressionSyntax parenthesized => Unwrap(parenthesized.Expression),
        _ => expression,
    };

    // What the local replaces in the call: the whole operand (`_buffer!` becomes `buffer`), never only part of it.
    private static ExpressionSyntax Strip(ExpressionSyntax field, ExpressionSyntax giveBack)
    {
        var node = field;
        while (node.Parent is PostfixUnaryExpressionSyntax or ParenthesizedExpressionSyntax && node.Parent != giveBack)
        {
            node = (ExpressionSyntax)node.Parent;
        }

        return node;
    }

    // `_buffer` → `buffer`, `m_owner` → `owner`; a number when the name is taken where the give-back is.
    private static string LocalName(IFieldSymbol field, SemanticModel model, int position)
    {
        var name = field.Name.TrimStart('_');
        if (name.Length > 2 && name[1] == '_' && name[0] is 'm' or 's')
        {
            name = name.Substring(2);
        }

        name = name.Length == 0 ? "value" : char.ToLowerInvariant(name[0]) + name.Substring(1);
        if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None)
        {
            name += "Value";
        }

        var candidate = name;
        for (var i = 2; model.LookupSymbols(position, name: candidate).Any(s => s is ILocalSymbol or IParameterSymbol or IRangeVariableSymbol) || candidate == field.Name; i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
