using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;
using PoolRules.Analyzers;
using PoolRules.Analyzers.Flow;

namespace PoolRules.CodeFixes;

/// <summary>
/// Where and what to insert for one PP0001 or PP0101 diagnostic: the variable, the pool it came from (and for a page
/// whether the code runs in a NAPI-safe context), and the places on the leaking paths to give it back: a page's put,
/// <c>pool.Return(value)</c> for an ArrayPool or ObjectPool rental, <c>owner.Dispose()</c> for a MemoryPool owner. The places start at the
/// exits the analyzer names and are refined by what <see cref="FixVerifier"/> finds in each attempt: a put where the
/// page is out of scope or shared with a path that already put it moves onto the jumps that lead there (the
/// <c>goto</c>s of a shared error label, the <c>break</c>s and <c>continue</c>s that leave the page's scope); a put
/// the engine says may see null goes where the page is null only, else gets a null guard; one the compiler doubts
/// but the engine proves non-null gets a <c>!</c>.
/// </summary>
internal sealed class LeakRepair
{
    // Each attempt is one edit and one verification; a leak whose places do not settle in these gets no fix.
    private const int MaxAttempts = 10;

    private const string SiteAnnotationKind = "PoolRules.LeakSite";

    private static readonly HashSet<string> NullWarnings = new() { "CS8602", "CS8604", "CS8600", "CS8625" };

    // Names out of scope, unassigned or used before their declaration.
    private static readonly HashSet<string> ScopeErrors = new() { "CS0103", "CS0165", "CS0841", "CS0136" };

    private readonly PoolKind _kind;
    private readonly string? _pool;
    private readonly bool _direct;
    private readonly SyntaxNode _function;
    private readonly int _declarationEnd;
    private readonly SyntaxNode _origin;
    private readonly List<Site> _sites;

    private LeakRepair(string page, PoolKind kind, string? pool, bool direct, SyntaxNode function, SyntaxNode origin, List<Site> sites)
    {
        Page = page;
        _kind = kind;
        _pool = pool;
        _direct = direct;
        _function = function;
        _declarationEnd = origin.Span.End;
        _origin = origin;
        _sites = sites;
    }

    private enum InsertKind
    {
        // Before a statement: a return, throw, jump or the statement that overwrites the variable.
        Before,

        // As the last statement of a block: the end of the method body, or of the loop body that declares the page.
        AtEnd,

        // A return whose value reads the page: the value goes into a local first, then the put, then the return.
        ReturnThroughTemp,

        // An if without else whose branch gives the page back: the path that skips it gets an else with the put.
        AsElse,
    }

    private enum Mode
    {
        Plain,
        Guard,
        Bang,
        Dropped,
    }

    public string Page { get; }

    public string PutTitle => _kind switch
    {
        PoolKind.Page when _direct => $"Recycle '{Page}' directly to '{PoolName}' on every leaking path",
        PoolKind.Page => $"Put '{Page}' back to '{PoolName}' on every leaking path",
        PoolKind.Memory => $"Dispose '{Page}' on every leaking path",
        _ => $"Return '{Page}' to '{PoolName}' on every leaking path",
    };

    /// <summary>Only a page can leave its pool and be dropped instead; null for a .NET rental.</summary>
    public string? ReleaseTitle => _kind == PoolKind.Page ? $"Release '{Page}' from '{PoolName}' and drop it on every leaking path" : null;

    private string PoolName => _pool ?? $"{Page}.Pool";

    public static LeakRepair? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var origin = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (PageVariable(origin) is not { } page || diagnostic.AdditionalLocations.Count == 0)
        {
            return null;
        }

        var poolKind = PoolKind.Page;
        string? pool = null;
        if (diagnostic.Id == Descriptors.PP0101RentalLeak.Id)
        {
            // A rental has no `page.Pool` to fall back on: the take must name its pool plainly, or be a MemoryPool
            // owner, which gives itself back.
            if (RentalPool(origin, page, model, cancellationToken) is not { } rental)
            {
                return null;
            }

            (poolKind, pool) = rental;
        }
        else
        {
            pool = PoolExpression(origin, model, cancellationToken);
        }

        var function = origin.Ancestors().FirstOrDefault(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax);
        if (function is null)
        {
            return null;
        }

        var sites = new List<Site>();
        foreach (var exit in diagnostic.AdditionalLocations)
        {
            if (exit.SourceTree != root.SyntaxTree)
            {
                return null;
            }

            foreach (var (anchor, kind) in Sites(root, exit, page))
            {
                if (kind == InsertKind.ReturnThroughTemp && Temp((ReturnStatementSyntax)anchor, model, cancellationToken) is not { } temp)
                {
                    continue;
                }

                Add(sites, anchor, kind);
                if (kind == InsertKind.ReturnThroughTemp)
                {
                    sites[sites.Count - 1].Temp = Temp((ReturnStatementSyntax)anchor, model, cancellationToken);
                }
            }
        }

        if (sites.Count == 0)
        {
            return null;
        }

        // RecycleDirect only where every insertion point is NAPI-safe (code after an await, say, is not).
        var direct = poolKind == PoolKind.Page && sites.All(s => NapiSafety.IsNapiSafe(s.Anchor, model) && !(s.Kind == InsertKind.AtEnd && ContainsAwait(s.Anchor)));
        var statement = origin.FirstAncestorOrSelf<StatementSyntax>() ?? origin;
        return new LeakRepair(page, poolKind, pool, direct, function, statement, sites);
    }

    // The type and a free name for the local that holds a return value computed from the page.
    private static (string Type, string Name)? Temp(ReturnStatementSyntax ret, SemanticModel model, CancellationToken cancellationToken)
    {
        if (ret.Expression is not { } value || model.GetTypeInfo(value, cancellationToken).ConvertedType is not { TypeKind: not TypeKind.Error } type
            || type.IsRefLikeType)
        {
            return null;
        }

        var name = "result";
        for (var n = 2; !model.LookupSymbols(ret.SpanStart, name: name).IsEmpty; n++)
        {
            name = "result" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return (type.ToMinimalDisplayString(model, ret.SpanStart), name);
    }

    /// <summary>For a rental: the title of the other repair, the rest of the block after the take in <c>try</c>/<c>finally</c>.</summary>
    public string? WrapTitle => _kind == PoolKind.Page ? null : $"Give '{Page}' back in a finally around its use";

    /// <summary>
    /// The rest of the block after the take goes into a <c>try</c> whose <c>finally</c> gives the rental back, and the
    /// give-backs in it go: every path, the exception paths included, then gives it back once. Null when the take is
    /// not a declaration in a block, a give-back there is not a statement of a block, or the verifier refuses it (a
    /// path that hands the rental on, a second give-back by a helper).
    /// </summary>
    public async Task<Document?> WrapAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (_kind == PoolKind.Page || _origin is not LocalDeclarationStatementSyntax { Parent: BlockSyntax block } declaration
            || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model
            || model.GetDeclaredSymbol(declaration.Declaration.Variables.Last(), cancellationToken) is not ILocalSymbol rental
            || rental.Name != Page)
        {
            return null;
        }

        var index = block.Statements.IndexOf(declaration);
        var rest = block.Statements.Skip(index + 1).ToList();
        if (rest.Count == 0)
        {
            return null;
        }

        var giveBacks = rest.SelectMany(s => s.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
            .OfType<InvocationExpressionSyntax>()
            .Where(call => SymbolEqualityComparer.Default.Equals(GiveBacks.Variable(call, model, cancellationToken), rental))
            .ToList();
        if (giveBacks.Any(call => call.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax }))
        {
            return null;
        }

        // The give-backs come after the take, so the statements up to it keep their places.
        if (block.RemoveNodes(giveBacks.Select(call => call.Parent!), SyntaxRemoveOptions.KeepNoTrivia) is not { } trimmed)
        {
            return null;
        }

        var endOfLine = LineEndings.Of(block.SyntaxTree.GetRoot(cancellationToken));
        var attempt = SyntaxFactory.TryStatement(
                SyntaxFactory.Block(trimmed.Statements.Skip(index + 1)),
                default,
                SyntaxFactory.FinallyClause(SyntaxFactory.Block(Statements(release: false, Mode.Plain, endOfLine))))
            .WithTrailingTrivia(endOfLine)
            .WithAdditionalAnnotations(Formatter.Annotation);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var changed = document.WithSyntaxRoot(root!.ReplaceNode(block, trimmed.WithStatements(SyntaxFactory.List(trimmed.Statements.Take(index + 1).Append(attempt)))));
        changed = await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (await FixVerifier.CheckAsync(document, changed, diagnostic, cancellationToken).ConfigureAwait(false)).Passed ? changed : null;
    }

    /// <summary>The first edit whose places the verifier accepts; null when none settles.</summary>
    public async Task<Document?> FindAsync(Document document, Diagnostic diagnostic, bool release, CancellationToken cancellationToken)
    {
        var sites = _sites.Select(s => s.Copy()).ToList();
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var active = sites.Where(s => s.Mode != Mode.Dropped).ToList();
            if (active.Count == 0)
            {
                // Every place looked null: the leak is on a path where it is not, so they need the guard.
                if (!GuardDroppedAsNull(sites))
                {
                    return null;
                }

                active = sites.Where(s => s.Mode != Mode.Dropped).ToList();
            }

            var changed = await ApplyAsync(document, active, release, cancellationToken).ConfigureAwait(false);
            var check = await FixVerifier.CheckAsync(document, changed, diagnostic, cancellationToken).ConfigureAwait(false);
            if (check.Passed)
            {
                return changed;
            }

            if (check.ChangedRoot is not { } changedRoot || !Refine(sites, active, check, changedRoot))
            {
                return null;
            }
        }

        return null;
    }

    // One step of the search: every place a problem points at moves on; when only the leak itself is left, the places
    // dropped because the page looked null there get a guard instead.
    private bool Refine(List<Site> sites, List<Site> active, FixCheck check, SyntaxNode changedRoot)
    {
        var spans = new Dictionary<Site, TextSpan>();
        for (var i = 0; i < active.Count; i++)
        {
            var nodes = changedRoot.GetAnnotatedNodes(SiteAnnotationKind).Where(n => n.GetAnnotations(SiteAnnotationKind).Any(a => a.Data == i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
            if (nodes.Count > 0)
            {
                spans[active[i]] = TextSpan.FromBounds(nodes.Min(n => n.SpanStart), nodes.Max(n => n.Span.End));
            }
        }

        var progressed = false;
        var expanded = new List<Site>();
        foreach (var site in active)
        {
            if (!spans.TryGetValue(site, out var span))
            {
                continue;
            }

            // A double put or a use after put that an inserted put causes is reported at the old code and points back at it.
            var problems = check.Problems.Where(p => span.Contains(p.Span) || (p.Id.StartsWith("PP", System.StringComparison.Ordinal) && p.Related.Any(span.Contains))).ToList();
            if (problems.Count == 0)
            {
                continue;
            }

            progressed = true;
            var mayBeNull = check.MaybeNull.Any(span.Contains);
            var sharedLabel = !site.Expanded && site.Anchor is StatementSyntax statement && site.Kind is InsertKind.Before or InsertKind.ReturnThroughTemp && Label(statement) is not null;
            if (sharedLabel || problems.Any(p => ScopeErrors.Contains(p.Id) || p.Id.StartsWith("PP", System.StringComparison.Ordinal)))
            {
                // The page is out of reach here, or this place is shared with paths where it is null or given back
                // already (an error label): put it on the jumps that lead here instead.
                site.Mode = Mode.Dropped;
                if (!site.Expanded)
                {
                    expanded.AddRange(Jumps(site));
                }
            }
            else if (problems.All(p => NullWarnings.Contains(p.Id) || p.Id == FixProblem.MaybeNullPut))
            {
                site.Mode = (site.Mode, mayBeNull) switch
                {
                    // Null on some path to here: maybe on every path, where nothing needs doing.
                    (Mode.Plain, true) => Mode.Dropped,
                    (Mode.Plain, false) => Mode.Bang,
                    _ => Mode.Dropped,
                };
                site.DroppedAsNull = site.Mode == Mode.Dropped && mayBeNull && !site.Guarded;
            }
            else
            {
                site.Mode = Mode.Dropped;
            }
        }

        foreach (var site in expanded)
        {
            Add(sites, site.Anchor, site.Kind, expandedFrom: true);
        }

        return progressed || GuardDroppedAsNull(sites);
    }

    // When only the leak is left, the places dropped because the page looked null there are where it is owned on
    // some path and null on another: they get the guard.
    private static bool GuardDroppedAsNull(List<Site> sites)
    {
        var guarded = false;
        foreach (var site in sites.Where(s => s.DroppedAsNull))
        {
            site.Mode = Mode.Guard;
            site.Guarded = true;
            site.DroppedAsNull = false;
            guarded = true;
        }

        return guarded;
    }

    // The jumps that reach a place: the gotos of the label it sits under and the fall-through into that label, or the
    // break, continue and goto statements that leave the page's scope on the way to it.
    private IEnumerable<Site> Jumps(Site site)
    {
        // The end of a block is reached through its last statement, which may sit under a label.
        var statement = site.Kind == InsertKind.AtEnd
            ? (site.Anchor as BlockSyntax)?.Statements.LastOrDefault()
            : site.Anchor as StatementSyntax;
        if (statement is not null && Label(statement) is { } labeled)
        {
            var label = labeled.Identifier.ValueText;
            foreach (var jump in Statements().OfType<GotoStatementSyntax>())
            {
                if (jump.IsKind(SyntaxKind.GotoStatement) && jump.Expression is IdentifierNameSyntax { Identifier.ValueText: var target } && target == label && jump.SpanStart > _declarationEnd)
                {
                    yield return new Site(jump, InsertKind.Before, expanded: true);
                }
            }

            if (labeled.Parent is BlockSyntax block && block.Statements.IndexOf(labeled) is > 0 and var index && !IsJump(block.Statements[index - 1]) && block.Statements[index - 1].SpanStart > _declarationEnd)
            {
                yield return new Site(labeled, InsertKind.Before, expanded: true);
            }

            yield break;
        }

        // The smallest block that declares the page: jumps out of it leave the page behind.
        var scope = Statements().OfType<LocalDeclarationStatementSyntax>()
            .FirstOrDefault(d => d.Declaration.Variables.Any(v => v.Identifier.ValueText == Page))?.Parent;
        if (scope is null)
        {
            yield break;
        }

        foreach (var jump in scope.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<StatementSyntax>())
        {
            if (jump.SpanStart > _declarationEnd && LeavesScope(jump, scope))
            {
                yield return new Site(jump, InsertKind.Before, expanded: true);
            }
        }

        // The breaks of a switch join its sections after it, where the sections that gave the page back arrive
        // too: each section that leaks ends its own path with its break.
        foreach (var jump in scope.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<BreakStatementSyntax>())
        {
            if (jump.SpanStart > _declarationEnd && jump.Ancestors().FirstOrDefault(a => IsLoop(a) || a is SwitchStatementSyntax) is SwitchStatementSyntax)
            {
                yield return new Site(jump, InsertKind.Before, expanded: true);
            }
        }

        // An if without else joins the path that skips its branch with the one through it: the skipping path gets
        // its own put in a new else.
        foreach (var branch in scope.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<IfStatementSyntax>())
        {
            if (branch.Else is null && branch.SpanStart > _declarationEnd && GivesBack(branch.Statement, Page))
            {
                yield return new Site(branch, InsertKind.AsElse, expanded: true);
            }
        }

        // A catch that swallows the exception joins the paths after the try, where the put-back path arrives too:
        // the end of the catch is its own leaking path.
        foreach (var handler in scope.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<CatchClauseSyntax>())
        {
            if (handler.SpanStart > _declarationEnd)
            {
                yield return new Site(handler.Block, InsertKind.AtEnd, expanded: true);
            }
        }
    }

    private IEnumerable<StatementSyntax> Statements() =>
        _function.DescendantNodes(n => n == _function || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<StatementSyntax>();

    private static LabeledStatementSyntax? Label(StatementSyntax statement)
    {
        if (statement is LabeledStatementSyntax self)
        {
            return self;
        }

        if (statement.Parent is LabeledStatementSyntax direct)
        {
            return direct;
        }

        // `err: Log(); return -1;`: the nearest label above in the same block, with nothing that jumps away between.
        if (statement.Parent is BlockSyntax block)
        {
            for (var i = block.Statements.IndexOf(statement) - 1; i >= 0; i--)
            {
                if (block.Statements[i] is LabeledStatementSyntax labeled)
                {
                    return labeled;
                }

                if (IsJump(block.Statements[i]))
                {
                    return null;
                }
            }
        }

        return null;
    }

    private static bool IsJump(StatementSyntax statement) =>
        statement is ReturnStatementSyntax or ThrowStatementSyntax or GotoStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax;

    // A break or continue whose loop (or switch, for break) is outside the scope; a goto to a label outside it.
    private static bool LeavesScope(StatementSyntax jump, SyntaxNode scope)
    {
        switch (jump)
        {
            case BreakStatementSyntax:
                return !scope.Span.Contains(jump.Ancestors().First(a => IsLoop(a) || a is SwitchStatementSyntax).Span);
            case ContinueStatementSyntax:
                return !scope.Span.Contains(jump.Ancestors().First(IsLoop).Span);
            case GotoStatementSyntax { Expression: IdentifierNameSyntax label } when jump.IsKind(SyntaxKind.GotoStatement):
                return !scope.DescendantNodes().OfType<LabeledStatementSyntax>().Any(l => l.Identifier.ValueText == label.Identifier.ValueText);
            default:
                return false;
        }
    }

    private async Task<Document> ApplyAsync(Document document, List<Site> sites, bool release, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var endOfLine = LineEndings.Of(editor.OriginalRoot);
        for (var i = 0; i < sites.Count; i++)
        {
            var (anchor, kind) = (sites[i].Anchor, sites[i].Kind);
            var annotation = new SyntaxAnnotation(SiteAnnotationKind, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var statements = Statements(release, sites[i].Mode, endOfLine).Select(s => s.WithAdditionalAnnotations(annotation)).ToArray();
            if (kind == InsertKind.AtEnd)
            {
                editor.ReplaceNode(anchor, (current, _) => ((BlockSyntax)current).AddStatements(statements));
            }
            else if (kind == InsertKind.AsElse)
            {
                editor.ReplaceNode(anchor, (current, _) => ((IfStatementSyntax)current)
                    .WithElse(SyntaxFactory.ElseClause(SyntaxFactory.Block(statements)))
                    .WithAdditionalAnnotations(Formatter.Annotation));
            }
            else if (kind == InsertKind.ReturnThroughTemp && sites[i].Temp is { } temp && anchor is ReturnStatementSyntax { Expression: { } value } ret)
            {
                var local = Statement($"{temp.Type} {temp.Name} = {value.WithoutTrivia().ToFullString()};", endOfLine).WithAdditionalAnnotations(annotation);
                var newReturn = ret.WithExpression(SyntaxFactory.IdentifierName(temp.Name).WithTriviaFrom(value));
                var all = new StatementSyntax[] { local }.Concat(statements).ToArray();
                if (anchor.Parent is BlockSyntax or SwitchSectionSyntax)
                {
                    editor.InsertBefore(anchor, all);
                    editor.ReplaceNode(anchor, newReturn);
                }
                else
                {
                    editor.ReplaceNode(anchor, SyntaxFactory.Block(all.Append(newReturn.WithoutTrivia()))
                        .WithTriviaFrom(anchor)
                        .WithAdditionalAnnotations(Formatter.Annotation));
                }
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
    private StatementSyntax[] Statements(bool release, Mode mode, SyntaxTrivia endOfLine)
    {
        var page = mode == Mode.Bang ? Page + "!" : Page;
        var pool = _pool ?? $"{page}.Pool!";
        var text = _kind switch
        {
            PoolKind.Page when release => new[] { $"{pool}.ReleasePage({page});", $"{page}.Put();" },
            PoolKind.Page => new[] { _direct ? $"{pool}.RecycleDirect({page});" : $"{pool}.PutFullPage({page}, allowDirect: false);" },
            PoolKind.Memory => new[] { $"{page}.Dispose();" },
            _ => new[] { $"{pool}.Return({page});" },
        };
        if (mode == Mode.Guard)
        {
            var eol = endOfLine.ToFullString();
            text = new[] { $"if ({Page} is not null){eol}{{{eol}{string.Join(eol, text)}{eol}}}" };
        }

        return text.Select(t => Statement(t, endOfLine)).ToArray();
    }

    private static StatementSyntax Statement(string text, SyntaxTrivia endOfLine) =>
        SyntaxFactory.ParseStatement(text)
            .WithLeadingTrivia(SyntaxFactory.ElasticMarker)
            .WithTrailingTrivia(endOfLine)
            .WithAdditionalAnnotations(Formatter.Annotation);

    private static void Add(List<Site> sites, SyntaxNode anchor, InsertKind kind, bool expandedFrom = false)
    {
        if (!sites.Any(s => s.Anchor == anchor))
        {
            sites.Add(new Site(anchor, kind, expandedFrom));
        }
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

    // The pool the page came from, when the allocation names a pool plainly (a local, parameter, field or property);
    // otherwise (a slot drained with Interlocked.Exchange, a pool picked by an expression) null: the page's own Pool.
    private static string? PoolExpression(SyntaxNode origin, SemanticModel model, CancellationToken cancellationToken)
    {
        var invocation = origin.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        if (invocation?.Expression is MemberAccessExpressionSyntax { Expression: var receiver }
            && GiveBacks.IsPlainName(receiver)
            && model.GetTypeInfo(receiver, cancellationToken).Type is { Name: "PagePool", ContainingNamespace: { Name: "Runtime", ContainingNamespace.Name: "PoolRules" } })
        {
            return receiver.ToString();
        }

        return null;
    }

    // The kind of a rental and the pool to give it back to: the take's own receiver when it is a plain name; a
    // MemoryPool owner needs none (a parameter or an overwritten variable of that type included).
    private static (PoolKind Kind, string? Pool)? RentalPool(SyntaxNode origin, string variable, SemanticModel model, CancellationToken cancellationToken)
    {
        if (origin.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } call && GiveBacks.Take(call, model, cancellationToken) is { IsNetPool: true } take)
        {
            if (take.Kind == PoolKind.Memory)
            {
                return (PoolKind.Memory, null);
            }

            return take.Pool?.Syntax is ExpressionSyntax pool && GiveBacks.IsPlainName(pool) ? (take.Kind, pool.WithoutTrivia().ToString()) : null;
        }

        var symbol = model.LookupSymbols(origin.SpanStart, name: variable).FirstOrDefault();
        var type = symbol switch
        {
            ILocalSymbol local => local.Type,
            IParameterSymbol parameter => parameter.Type,
            _ => null,
        };
        return KnownSymbols.ForAnyPool(model.Compilation)?.NetPools?.IsMemoryOwner(type) == true ? (PoolKind.Memory, null) : null;
    }

    private static IEnumerable<(SyntaxNode, InsertKind)> Sites(SyntaxNode root, Location exit, string page)
    {
        var node = root.FindNode(exit.SourceSpan, getInnermostNodeForTie: true);

        // The end of a body: the analyzer points at its closing brace.
        if (node is BlockSyntax block && block.CloseBraceToken.Span == exit.SourceSpan)
        {
            yield return (block, InsertKind.AtEnd);
            yield break;
        }

        var statement = node.FirstAncestorOrSelf<StatementSyntax>();
        switch (statement)
        {
            case ReturnStatementSyntax { Expression: { } value } ret when Mentions(value, page):
                yield return (ret, InsertKind.ReturnThroughTemp);
                break;
            case ReturnStatementSyntax:
            case ThrowStatementSyntax thrown when thrown.Expression is null || !Mentions(thrown.Expression, page):
            case YieldStatementSyntax { RawKind: (int)SyntaxKind.YieldBreakStatement }:
                yield return (statement, InsertKind.Before);
                break;
            case LocalDeclarationStatementSyntax declaration when declaration.Declaration.Variables.Any(v => v.Identifier.ValueText == page):
                // The next iteration's allocation of a loop-scoped page.
                if (declaration.Parent is BlockSyntax { Parent: { } enclosing } && IsLoop(enclosing))
                {
                    foreach (var site in EndOfIteration(enclosing, page))
                    {
                        yield return site;
                    }
                }

                break;
            case { } loop when IsLoop(loop):
                // The loop ends while the last iteration's page is still owned.
                foreach (var site in EndOfIteration(loop, page))
                {
                    yield return site;
                }

                break;
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment }
                when name.Identifier.ValueText == page && !Mentions(assignment.Right, page):
                yield return (statement, InsertKind.Before);
                break;
            case SwitchStatementSyntax choice when node.FirstAncestorOrSelf<SwitchLabelSyntax>() is not null:
                // The analyzer names the case test that sends the path on to a section that leaks: each section's
                // own break ends a path, and the verifier keeps the ones that leak.
                foreach (var jump in choice.Sections.SelectMany(section => section.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<BreakStatementSyntax>()))
                {
                    if (jump.Ancestors().First(a => IsLoop(a) || a is SwitchStatementSyntax) == choice)
                    {
                        yield return (jump, InsertKind.Before);
                    }
                }

                break;
            case IfStatementSyntax branch when branch.Condition.Span.Contains(exit.SourceSpan):
                // The analyzer names the condition when the path leaves through a jump in one of its branches
                // (`if (full) break;`); whichever branch is not on the leaking path is dropped by the verifier.
                foreach (var jump in new[] { branch.Statement, branch.Else?.Statement })
                {
                    if (LastJump(jump) is { } last)
                    {
                        yield return (last, InsertKind.Before);
                    }
                }

                if (branch.Else is null && GivesBack(branch.Statement, page))
                {
                    // The path that skips the branch.
                    yield return (branch, InsertKind.AsElse);
                }

                break;
        }
    }

    // A branch that gives the value back (puts or releases a page, returns a rental, disposes an owner): the path that
    // skips it is the one still owning it.
    private static bool GivesBack(StatementSyntax statement, string page) =>
        statement.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(call => call.Expression switch
        {
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "PutPage" or "PutFullPage" or "RecycleDirect" or "ReleasePage" or "Return" }
                => call.ArgumentList.Arguments.Count > 0 && Mentions(call.ArgumentList.Arguments[0], page),
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Dispose", Expression: var owner } => Mentions(owner, page),
            _ => false,
        });

    private static StatementSyntax? LastJump(StatementSyntax? statement) => statement switch
    {
        BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax => statement,
        BlockSyntax { Statements.Count: > 0 } block => LastJump(block.Statements[block.Statements.Count - 1]),
        _ => null,
    };

    // Code appended to a block runs after every await in it, which the block's own context does not show.
    private static bool ContainsAwait(SyntaxNode block) =>
        block.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<AwaitExpressionSyntax>().Any();

    private static bool IsLoop(SyntaxNode? node) => node is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax;

    // A page declared in a loop body goes back at the end of that body, and before each `continue` of this loop
    // that skips the end (the verifier drops those where the page is null or already given back).
    private static IEnumerable<(SyntaxNode, InsertKind)> EndOfIteration(SyntaxNode loop, string page)
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
            || block.Statements.OfType<LocalDeclarationStatementSyntax>().FirstOrDefault(d => d.Declaration.Variables.Any(v => v.Identifier.ValueText == page)) is not { } declaration)
        {
            yield break;
        }

        yield return (block, InsertKind.AtEnd);
        foreach (var jump in block.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax) && !IsLoop(n)).OfType<ContinueStatementSyntax>())
        {
            if (jump.SpanStart > declaration.Span.End)
            {
                yield return (jump, InsertKind.Before);
            }
        }
    }

    private static bool Mentions(SyntaxNode node, string name) =>
        node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == name);

    private sealed class Site
    {
        public Site(SyntaxNode anchor, InsertKind kind, bool expanded = false)
        {
            Anchor = anchor;
            Kind = kind;
            Expanded = expanded;
        }

        public SyntaxNode Anchor { get; }

        public InsertKind Kind { get; }

        /// <summary>Came from the jumps into another place, so it is not expanded again.</summary>
        public bool Expanded { get; }

        public Mode Mode { get; set; }

        public bool DroppedAsNull { get; set; }

        public bool Guarded { get; set; }

        /// <summary>For <see cref="InsertKind.ReturnThroughTemp"/>: the local's type and name.</summary>
        public (string Type, string Name)? Temp { get; set; }

        public Site Copy() => new(Anchor, Kind, Expanded) { Mode = Mode, Temp = Temp };
    }
}
