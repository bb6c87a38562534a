using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.FindSymbols;
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0003: returns the page through the ring instead (<c>PutFullPage(page, allowDirect: false)</c>, or
/// <c>PutPage(page, size, allowDirect: false)</c> keeping the sync size), which is right wherever the code runs. A second
/// action declares the containing method or local function <c>[NapiContext]</c>, offered only when every call of it in
/// the solution runs in a NAPI-safe context (a claim the attribute would otherwise make falsely, silencing the rule
/// without making the code safe). A <c>[NapiContext]</c> method called from outside one gets nothing automatic: only
/// its author knows whether the caller or the callee is wrong.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0003DirectRecycleCodeFix))]
[Shared]
public sealed class PP0003DirectRecycleCodeFix : CodeFixProvider
{
    private const string RuntimeNamespace = "PoolRules.Runtime";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0003DirectRecycleOutsideNapi.Id);

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
            // Only a direct recycle of the pool itself; a call of a [NapiContext] method or a method group is left alone.
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } call
                || model.GetSymbolInfo(call, context.CancellationToken).Symbol is not IMethodSymbol { ContainingType.Name: "PagePool" }
                || ThroughRing(call) is not { } replacement)
            {
                continue;
            }

            await VerifiedFixes.RegisterAsync(
                context,
                diagnostic,
                "Return the page through the ring (allowDirect: false)",
                EquivalenceKeys.PutThroughRing,
                context.Document.WithSyntaxRoot(root.ReplaceNode(call, replacement))).ConfigureAwait(false);

            // Only a method or local function can carry the attribute; after an await no attribute makes the code safe.
            var function = call.Ancestors().FirstOrDefault(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax);
            if (function is (MethodDeclarationSyntax or LocalFunctionStatementSyntax) && !HasNapiContext(function) && !AfterAwait(call, function)
                && await OnlyCalledFromNapiAsync(context.Document, model, function, context.CancellationToken).ConfigureAwait(false))
            {
                await VerifiedFixes.RegisterAsync(
                    context,
                    diagnostic,
                    $"Mark '{Name(function)}' [NapiContext]: every call of it runs in a NAPI poll",
                    EquivalenceKeys.MarkNapiContext,
                    context.Document.WithSyntaxRoot(MarkNapiContext(root, function))).ConfigureAwait(false);
            }
        }
    }

    // The attribute is a promise about every caller: true only when there is at least one, each one a direct call
    // in code the analyzers already hold NAPI-safe, and nothing else (a delegate, an override, another assembly) can reach it.
    private static async Task<bool> OnlyCalledFromNapiAsync(Document document, SemanticModel model, SyntaxNode function, CancellationToken cancellationToken)
    {
        if (model.GetDeclaredSymbol(function, cancellationToken) is not IMethodSymbol method
            || method.IsVirtual || method.IsAbstract || method.IsOverride || !method.ExplicitInterfaceImplementations.IsEmpty
            || (method.MethodKind != MethodKind.LocalFunction && method.ContainingType.AllInterfaces.SelectMany(i => i.GetMembers()).Any(m => SymbolEqualityComparer.Default.Equals(method.ContainingType.FindImplementationForInterfaceMember(m), method))))
        {
            return false;
        }

        var references = await SymbolFinder.FindReferencesAsync(method, document.Project.Solution, cancellationToken).ConfigureAwait(false);
        var calls = 0;
        foreach (var location in references.SelectMany(r => r.Locations))
        {
            if (location.Document.Project.Id != document.Project.Id
                || await location.Document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root
                || await location.Document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } callerModel)
            {
                return false;
            }

            var name = root.FindNode(location.Location.SourceSpan, getInnermostNodeForTie: true);
            var callee = name.Parent is MemberAccessExpressionSyntax member && member.Name == name ? member : name;
            if (callee.Parent is not InvocationExpressionSyntax invocation || invocation.Expression != callee || !NapiSafety.IsNapiSafe(invocation, callerModel))
            {
                return false;
            }

            calls++;
        }

        return calls > 0 && (method.MethodKind == MethodKind.LocalFunction || method.DeclaredAccessibility is Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal);
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
        var newRoot = root.ReplaceNode(function, AddAttribute(function, attribute));
        return newRoot is CompilationUnitSyntax unit && !HasRuntimeUsing(unit, function) ? AddRuntimeUsing(unit) : newRoot;
    }

    // The attribute goes on its own line above the declaration, indented like it; the declaration keeps its comments.
    private static SyntaxNode AddAttribute(SyntaxNode function, AttributeListSyntax attribute)
    {
        var lists = Attributes(function);
        if (lists.Count > 0)
        {
            lists = lists.Add(attribute.WithTriviaFrom(lists.Last()));
        }
        else
        {
            // The declaration's leading trivia (comments, indentation) moves in front of the attribute, which ends
            // its line and indents the declaration again.
            lists = SyntaxFactory.SingletonList(attribute
                .WithLeadingTrivia(function.GetLeadingTrivia())
                .WithTrailingTrivia(SyntaxFactory.TriviaList(LineEndings.Of(function)).AddRange(Indentation(function))));
            function = function.WithoutLeadingTrivia();
        }

        return function switch
        {
            MethodDeclarationSyntax method => method.WithAttributeLists(lists),
            LocalFunctionStatementSyntax local => local.WithAttributeLists(lists),
            _ => function,
        };
    }

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
