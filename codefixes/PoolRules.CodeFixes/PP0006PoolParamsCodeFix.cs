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
using PoolRules.Analyzers;

namespace PoolRules.CodeFixes;

/// <summary>
/// PP0006: completes a <c>DmaSyncDevice</c> pool the way <c>PagePool.Create</c> needs it: adds <c>DmaMap</c> to
/// <c>Flags</c> (syncing needs the pool's own mapping), and sets <c>MaxLength</c> to what the page holds after
/// <c>Offset</c> (<c>4096 &lt;&lt; Order</c> without one) when it is 0 or missing.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PP0006PoolParamsCodeFix))]
[Shared]
public sealed class PP0006PoolParamsCodeFix : CodeFixProvider
{
    private const int DmaMap = 1;
    private const int DmaSyncDevice = 2;

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PP0006InvalidPoolParams.Id);

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
            // The analyzer reports on one `Name = value` of a PagePoolParams object initializer.
            var reported = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<AssignmentExpressionSyntax>();
            if (reported?.Parent is not InitializerExpressionSyntax initializer
                || Assignment(initializer, "Flags") is not { } flags
                || model.GetConstantValue(flags.Right, context.CancellationToken) is not { HasValue: true, Value: int flagBits }
                || (flagBits & DmaSyncDevice) == 0)
            {
                continue;
            }

            var reportedName = Name(reported);
            var maxLength = Assignment(initializer, "MaxLength");
            var maxLengthIsZero = maxLength is null
                ? reportedName == "Flags"
                : reportedName == "MaxLength" && model.GetConstantValue(maxLength.Right, context.CancellationToken) is { HasValue: true, Value: 0 };
            var value = PageRemainder(initializer, model, context.CancellationToken);
            var offered = false;
            if (reportedName == "Flags" && (flagBits & DmaMap) == 0 && maxLengthIsZero)
            {
                // Both are wrong in one diagnostic: only the two edits together leave nothing for PP0006 to report.
                var tracked = root.TrackNodes(initializer, flags);
                tracked = tracked.ReplaceNode(tracked.GetCurrentNode(flags)!.Right, WithDmaMap(flags.Right));
                var both = SetMaxLength(tracked, tracked.GetCurrentNode(initializer)!, tracked.GetCurrentNode(flags)!, null, value);
                offered |= await VerifiedFixes.RegisterAsync(
                    context,
                    diagnostic,
                    $"Add DmaMap to Flags and set MaxLength to {value}",
                    EquivalenceKeys.AddDmaMapAndMaxLength,
                    context.Document.WithSyntaxRoot(both)).ConfigureAwait(false);
            }

            if (reportedName == "Flags" && (flagBits & DmaMap) == 0)
            {
                offered |= await VerifiedFixes.RegisterAsync(
                    context,
                    diagnostic,
                    "Add DmaMap to Flags",
                    EquivalenceKeys.AddDmaMap,
                    context.Document.WithSyntaxRoot(root.ReplaceNode(flags.Right, WithDmaMap(flags.Right)))).ConfigureAwait(false);
            }

            if (maxLengthIsZero)
            {
                offered |= await VerifiedFixes.RegisterAsync(
                    context,
                    diagnostic,
                    $"Set MaxLength to {value}",
                    EquivalenceKeys.SetMaxLength,
                    context.Document.WithSyntaxRoot(SetMaxLength(root, initializer, flags, maxLength, value))).ConfigureAwait(false);
            }

            // A pool with no Device can map nothing, so DmaMap cannot be added; its sync flag has nothing to sync.
            if (!offered && reportedName == "Flags" && (flagBits & DmaMap) == 0 && Assignment(initializer, "Device") is null && WithoutDmaSync(flags.Right) is { } withoutSync)
            {
                await VerifiedFixes.RegisterAsync(
                    context,
                    diagnostic,
                    "Remove DmaSyncDevice: a pool without a Device maps nothing to sync",
                    EquivalenceKeys.RemoveDmaSync,
                    context.Document.WithSyntaxRoot(root.ReplaceNode(flags.Right, withoutSync.WithTriviaFrom(flags.Right)))).ConfigureAwait(false);
            }
        }
    }

    private static AssignmentExpressionSyntax? Assignment(InitializerExpressionSyntax initializer, string name) =>
        initializer.Expressions.OfType<AssignmentExpressionSyntax>().FirstOrDefault(a => Name(a) == name);

    private static string? Name(AssignmentExpressionSyntax assignment) => (assignment.Left as IdentifierNameSyntax)?.Identifier.ValueText;

    // `PagePoolFlags.DmaSyncDevice` becomes `PagePoolFlags.DmaMap | PagePoolFlags.DmaSyncDevice`, written with the
    // same qualification as the flag already there.
    private static ExpressionSyntax WithDmaMap(ExpressionSyntax value)
    {
        var enumType = value.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>()
            .FirstOrDefault(m => m.Name.Identifier.ValueText is "DmaSyncDevice" or "None")?.Expression.WithoutTrivia()
            ?? SyntaxFactory.IdentifierName("PagePoolFlags");
        var dmaMap = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, enumType, SyntaxFactory.IdentifierName("DmaMap"));
        return SyntaxFactory.BinaryExpression(SyntaxKind.BitwiseOrExpression, dmaMap, value.WithoutTrivia()).WithTriviaFrom(value);
    }

    // `PagePoolFlags.DmaSyncDevice` becomes `PagePoolFlags.None`; `A | PagePoolFlags.DmaSyncDevice` becomes `A`.
    private static ExpressionSyntax? WithoutDmaSync(ExpressionSyntax value) => value switch
    {
        MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaSyncDevice" } member => member.WithName(SyntaxFactory.IdentifierName("None")),
        BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression } either when IsDmaSync(either.Right) => either.Left.WithoutTrivia(),
        BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression } either when IsDmaSync(either.Left) => either.Right.WithoutTrivia(),
        _ => null,
    };

    private static bool IsDmaSync(ExpressionSyntax expression) => expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DmaSyncDevice" };

    // What the page holds from Offset on: the most a device sync can cover.
    private static string PageRemainder(InitializerExpressionSyntax initializer, SemanticModel model, CancellationToken cancellationToken)
    {
        var order = Assignment(initializer, "Order") is { } o && model.GetConstantValue(o.Right, cancellationToken) is { HasValue: true, Value: int n } ? n : 0;
        var pageSize = order == 0 ? "PageAllocator.PageSize" : $"(PageAllocator.PageSize << {order})";
        var offset = Assignment(initializer, "Offset");
        if (offset is null || model.GetConstantValue(offset.Right, cancellationToken) is { HasValue: true, Value: 0 })
        {
            return order == 0 ? pageSize : pageSize.Substring(1, pageSize.Length - 2);
        }

        return $"{pageSize} - {offset.Right.WithoutTrivia()}";
    }

    private static SyntaxNode SetMaxLength(SyntaxNode root, InitializerExpressionSyntax initializer, AssignmentExpressionSyntax flags, AssignmentExpressionSyntax? maxLength, string value)
    {
        var expression = SyntaxFactory.ParseExpression(value);
        if (maxLength is not null)
        {
            return root.ReplaceNode(maxLength.Right, expression.WithTriviaFrom(maxLength.Right));
        }

        // A new `MaxLength = …,` right after Flags, on its own line like its neighbours.
        var assignment = SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName("MaxLength"), expression)
            .WithLeadingTrivia(flags.GetLeadingTrivia());
        var index = initializer.Expressions.IndexOf(flags) + 1;
        var expressions = initializer.Expressions;
        var separators = expressions.GetSeparators().ToList();
        var items = expressions.ToList();
        items.Insert(index, assignment);
        var comma = SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(separators.Count > 0 ? separators[0].TrailingTrivia : SyntaxFactory.TriviaList(SyntaxFactory.ElasticCarriageReturnLineFeed));
        if (index - 1 < separators.Count)
        {
            separators.Insert(index - 1, comma);
        }
        else
        {
            separators.Add(comma);
        }

        return root.ReplaceNode(initializer, initializer.WithExpressions(SyntaxFactory.SeparatedList(items, separators)).WithAdditionalAnnotations(Formatter.Annotation));
    }
}
