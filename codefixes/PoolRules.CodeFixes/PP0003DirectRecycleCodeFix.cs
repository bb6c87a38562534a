using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0003: returns the page through the ring instead (<c>PutFullPage(page, allowDirect: false)</c>, or
/// <c>PutPage(page, size, allowDirect: false)</c> keeping the sync size); or, as a second action, declares the containing
/// method or local function <c>[NapiContext]</c> — the fix when the code really runs only in the NAPI poll.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0003DirectRecycleCodeFix))]
[Shared]
public sealed class PP0003DirectRecycleCodeFix : CodeFixProvider
{
    private const string RuntimeNamespace = "PoolRules.Runtime";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0003DirectRecycleOutsideNapi.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } call)
            {
                continue;
            }

            if (ThroughRing(call) is { } replacement)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Return the page through the ring (allowDirect: false)",
                        _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(call, replacement))),
                        EquivalenceKeys.PutThroughRing),
                    diagnostic);
            }

            // Only a method or local function can carry the attribute; after an await no attribute makes the code safe.
            var function = call.Ancestors().FirstOrDefault(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax);
            if (function is (MethodDeclarationSyntax or LocalFunctionStatementSyntax) && !HasNapiContext(function) && !AfterAwait(call, function))
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Mark '{Name(function)}' [NapiContext]",
                        _ => Task.FromResult(context.Document.WithSyntaxRoot(MarkNapiContext(root, function))),
                        EquivalenceKeys.MarkNapiContext),
                    diagnostic);
            }
        }
    }

    // RecycleDirect(page) → PutFullPage(page, allowDirect: false); Put(Full)Page(…, true) → the same call with false.
    private static InvocationExpressionSyntax? ThroughRing(InvocationExpressionSyntax call)
    {
        if (call.Expression is not MemberAccessExpressionSyntax member)
        {
            return null;
        }

        var allowDirectFalse = SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression))
            .WithNameColon(SyntaxFactory.NameColon("allowDirect"));
        var arguments = call.ArgumentList.Arguments;
        switch (member.Name.Identifier.ValueText)
        {
            case "RecycleDirect" when arguments.Count == 1:
                return call
                    .WithExpression(member.WithName(SyntaxFactory.IdentifierName("PutFullPage").WithTriviaFrom(member.Name)))
                    .WithArgumentList(call.ArgumentList.WithArguments(arguments.Add(allowDirectFalse)));
            case "PutFullPage" or "PutPage" when arguments.Count > 0:
                var index = arguments.IndexOf(a => a.NameColon?.Name.Identifier.ValueText == "allowDirect");
                if (index < 0)
                {
                    index = arguments.Count - 1;
                }

                return call.WithArgumentList(call.ArgumentList.WithArguments(arguments.Replace(arguments[index], allowDirectFalse.WithTriviaFrom(arguments[index]))));
            default:
                return null;
        }
    }

    private static bool HasNapiContext(SyntaxNode function) =>
        Attributes(function).SelectMany(list => list.Attributes).Any(a => a.Name.ToString() is "NapiContext" or "NapiContextAttribute" or "PoolRules.Runtime.NapiContext");

    private static bool AfterAwait(InvocationExpressionSyntax call, SyntaxNode function) =>
        function.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax) || n == function)
            .OfType<AwaitExpressionSyntax>()
            .Any(a => a.SpanStart < call.SpanStart);

    private static SyntaxList<AttributeListSyntax> Attributes(SyntaxNode function) => function switch
    {
        MethodDeclarationSyntax method => method.AttributeLists,
        LocalFunctionStatementSyntax local => local.AttributeLists,
        _ => default,
    };

    private static string Name(SyntaxNode function) => function switch
    {
        MethodDeclarationSyntax method => method.Identifier.ValueText,
        LocalFunctionStatementSyntax local => local.Identifier.ValueText,
        _ => "",
    };

    private static SyntaxNode MarkNapiContext(SyntaxNode root, SyntaxNode function)
    {
        var attribute = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("NapiContext"))));
        SyntaxNode marked = function switch
        {
            MethodDeclarationSyntax method => AddAttribute(method, attribute),
            LocalFunctionStatementSyntax local => AddAttribute(local, attribute),
            _ => function,
        };
        var newRoot = root.ReplaceNode(function, marked);
        return newRoot is CompilationUnitSyntax unit && !HasRuntimeUsing(unit, function) ? AddRuntimeUsing(unit) : newRoot;
    }

    // The attribute goes on its own line above the declaration, indented like it; the declaration keeps its comments.
    private static MethodDeclarationSyntax AddAttribute(MethodDeclarationSyntax method, AttributeListSyntax attribute) =>
        method.AttributeLists.Count > 0
            ? method.AddAttributeLists(attribute.WithTriviaFrom(method.AttributeLists.Last()))
            : method.WithoutLeadingTrivia()
                .WithAttributeLists(SyntaxFactory.SingletonList(attribute.WithLeadingTrivia(method.GetLeadingTrivia()).WithTrailingTrivia(LineEndings.Of(method))))
                .WithModifiers(method.Modifiers.Count > 0 ? method.Modifiers.Replace(method.Modifiers[0], method.Modifiers[0].WithLeadingTrivia(Indentation(method))) : method.Modifiers)
                .WithReturnType(method.Modifiers.Count > 0 ? method.ReturnType : method.ReturnType.WithLeadingTrivia(Indentation(method)));

    private static LocalFunctionStatementSyntax AddAttribute(LocalFunctionStatementSyntax local, AttributeListSyntax attribute) =>
        local.AttributeLists.Count > 0
            ? local.AddAttributeLists(attribute.WithTriviaFrom(local.AttributeLists.Last()))
            : local.WithoutLeadingTrivia()
                .WithAttributeLists(SyntaxFactory.SingletonList(attribute.WithLeadingTrivia(local.GetLeadingTrivia()).WithTrailingTrivia(LineEndings.Of(local))))
                .WithModifiers(local.Modifiers.Count > 0 ? local.Modifiers.Replace(local.Modifiers[0], local.Modifiers[0].WithLeadingTrivia(Indentation(local))) : local.Modifiers)
                .WithReturnType(local.Modifiers.Count > 0 ? local.ReturnType : local.ReturnType.WithLeadingTrivia(Indentation(local)));

    private static SyntaxTriviaList Indentation(SyntaxNode node) =>
        SyntaxFactory.TriviaList(node.GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse());

    private static bool HasRuntimeUsing(CompilationUnitSyntax unit, SyntaxNode function) =>
        unit.Usings.Any(u => u.Name?.ToString() == RuntimeNamespace)
        || function.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.ToString().StartsWith(RuntimeNamespace, System.StringComparison.Ordinal) || n.Usings.Any(u => u.Name?.ToString() == RuntimeNamespace));

    private static CompilationUnitSyntax AddRuntimeUsing(CompilationUnitSyntax unit)
    {
        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(RuntimeNamespace)).WithAdditionalAnnotations(Formatter.Annotation);

        // Keep the usings sorted, System first, as the house style (and dotnet_sort_system_directives_first) wants.
        var usings = unit.Usings;
        var index = 0;
        while (index < usings.Count && Compare(usings[index].Name?.ToString() ?? "", RuntimeNamespace) < 0)
        {
            index++;
        }

        return unit.WithUsings(usings.Insert(index, directive.WithTrailingTrivia(LineEndings.Of(unit))));
    }

    private static int Compare(string a, string b)
    {
        var aSystem = a == "System" || a.StartsWith("System.", System.StringComparison.Ordinal);
        var bSystem = b == "System" || b.StartsWith("System.", System.StringComparison.Ordinal);
        return aSystem != bSystem ? (aSystem ? -1 : 1) : string.CompareOrdinal(a, b);
    }
}
