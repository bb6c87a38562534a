using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using static PoolRules.Analyzers.Conversions;

namespace PoolRules.Analyzers;

/// <summary>
/// PP0004: page pools that do not match the RX queue count, judged within one method body:
/// <list type="bullet">
/// <item>a pool created once and stored, passed on or registered inside a loop over the RX queues;</item>
/// <item>one pool registered as the memory model of two different <c>XdpRxQueueInfo</c>s;</item>
/// <item>a pool array or list sized by something that is not a queue count and filled (or indexed) per queue;</item>
/// <item>a loop that creates pools with a bound that is not a queue count, in a method that registers RX queues.</item>
/// </list>
/// Queue counts are <c>NetDevice.RxQueueCount</c> and anything marked <c>[QueueCount]</c> (through never-written locals
/// too), and the length of an array of <c>XdpRxQueueInfo</c>. Nothing is reported for a pool whose params set
/// <c>AllowSharedQueues</c>, nor where the pool's creation or a size is not visible (then the rule cannot know).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0004PoolQueueCountAnalyzer : DiagnosticAnalyzer
{
    private const int MemoryModelPagePool = 2;

    /// <summary>Sees every exception swallowed here; tests use it to prove nothing was silently given up.</summary>
    internal static Action<Exception>? Fault { get; set; }

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0004PoolQueueCount);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var known = KnownSymbols.For(start.Compilation);
            if (known is null || !start.Compilation.SyntaxTrees.Any(tree => MayNamePagePool(tree, start.CancellationToken)))
            {
                return;
            }

            var creators = new ConcurrentDictionary<IMethodSymbol, IInvocationOperation?>(SymbolEqualityComparer.Default);
            start.RegisterOperationBlockAction(block =>
            {
                foreach (var root in block.OperationBlocks)
                {
                    // The syntax pre-filter runs before any per-body state is allocated: most bodies stop there.
                    if (root is IBlockOperation or IMethodBodyOperation or IConstructorBodyOperation && BodyAnalysis.MayConcernPools(root.Syntax))
                    {
                        new BodyAnalysis(known, block, root, creators).Run();
                    }
                    else if (root is IFieldInitializerOperation or IPropertyInitializerOperation && BodyAnalysis.MayConcernPools(root.Syntax))
                    {
                        new BodyAnalysis(known, block, root, creators).RunInitializer();
                    }
                }
            });
        });
    }

    /// <summary>
    /// Every finding needs a pool created with <c>PagePool.Create</c>, a pool array or list, or a registration with
    /// <c>MemoryModelType.PagePool</c>; PagePool is sealed, so each of them spells the name in some file (a using alias
    /// or a <c>using static</c> too). A compilation whose texts never do, in any spelling, registers nothing.
    /// </summary>
    private static bool MayNamePagePool(SyntaxTree tree, System.Threading.CancellationToken cancellationToken)
    {
        var text = tree.GetText(cancellationToken).ToString();
        return text.IndexOf("PagePool", StringComparison.Ordinal) >= 0 || Flow.CallNames.MaySpellOtherwise(tree, text);
    }

    private enum OptOut
    {
        No,
        Yes,
        Unknown,
    }

    private sealed class BodyAnalysis
    {
        private readonly KnownSymbols _known;
        private readonly OperationBlockAnalysisContext _context;
        private readonly IOperation _root;
        private readonly List<IInvocationOperation> _creates = new();
        private readonly List<IInvocationOperation> _registrations = new();
        private readonly List<IOperation> _poolCollections = new();
        private readonly List<ILoopOperation> _loops = new();
        private readonly List<IOperation> _writes = new();
        private readonly List<IInvocationOperation> _calls = new();
        private readonly ConcurrentDictionary<IMethodSymbol, IInvocationOperation?> _creators;
        private bool _registersQueues;

        public BodyAnalysis(KnownSymbols known, OperationBlockAnalysisContext context, IOperation root, ConcurrentDictionary<IMethodSymbol, IInvocationOperation?> creators)
        {
            _known = known;
            _context = context;
            _root = root;
            _creators = creators;
        }

        /// <summary>A pool array created in a field or property initializer: judged against the per-queue loops of the type's other members.</summary>
        public void RunInitializer()
        {
            try
            {
                Collect();
                foreach (var creation in _poolCollections)
                {
                    var size = creation is IArrayCreationOperation array ? array.DimensionSizes[0] : ((IObjectCreationOperation)creation).Arguments[0].Value;
                    if (!IsKnownNotQueueCount(size) || InitializedMember() is not { } collection || FilledPerQueueElsewhere(collection) is not { } loop)
                    {
                        continue;
                    }

                    Report(
                        Unwrap(size).Syntax,
                        $"The pool {(creation is IArrayCreationOperation ? "array" : "list")} '{collection.Name}' is sized by '{Unwrap(size).Syntax}', which is not the RX queue count, but filled per RX queue",
                        loop.Syntax);
                }
            }
#pragma warning disable CA1031 // An analyzer must never throw (AD0001): a shape this rule does not follow gets no diagnostic.
            catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
            {
                Fault?.Invoke(exception);
            }
        }

        private ISymbol? InitializedMember() => _root switch
        {
            IFieldInitializerOperation { InitializedFields.Length: 1 } field => field.InitializedFields[0],
            IPropertyInitializerOperation { InitializedProperties.Length: 1 } property => property.InitializedProperties[0],
            _ => null,
        };

        /// <summary>A per-queue loop in another member of the type (same file) that fills or indexes the collection.</summary>
        private ILoopOperation? FilledPerQueueElsewhere(ISymbol collection)
        {
            if (_root.SemanticModel is not { } model)
            {
                return null;
            }

            foreach (var reference in collection.ContainingType.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree != model.SyntaxTree)
                {
                    continue;
                }

                foreach (var member in reference.GetSyntax().ChildNodes())
                {
                    var body = member switch
                    {
                        BaseMethodDeclarationSyntax method => (SyntaxNode?)method.Body ?? method.ExpressionBody,
                        _ => null,
                    };
                    if (body is null || !body.ToString().Contains(collection.Name) || model.GetOperation(member) is not { } operation)
                    {
                        continue;
                    }

                    var other = new BodyAnalysis(_known, _context, operation, _creators);
                    other.Collect();
                    foreach (var loop in other._loops)
                    {
                        if (other.IsPerQueueLoop(loop, out _) && other.FillsOrIndexes(loop, collection))
                        {
                            return loop;
                        }
                    }
                }
            }

            return null;
        }

        public void Run()
        {
            try
            {
                Analyze();
            }
#pragma warning disable CA1031 // An analyzer must never throw (AD0001): a shape this rule does not follow gets no diagnostic.
            catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
            {
                Fault?.Invoke(exception);
            }
        }

        private void Analyze()
        {
            Collect();
            if (_creates.Count == 0 && _registrations.Count == 0 && _poolCollections.Count == 0 && _calls.Count == 0)
            {
                return;
            }

            SharedPoolInPerQueueLoop();
            PoolRegisteredTwice();
            PoolCollectionSizedWrong();
            CreationLoopBoundWrong();
            PoolFieldOverwrittenPerQueue();
        }

        private void Collect()
        {
            foreach (var operation in _root.Descendants())
            {
                switch (operation)
                {
                    case IInvocationOperation invocation when IsPoolCreate(invocation):
                        _creates.Add(invocation);
                        break;
                    case IInvocationOperation { TargetMethod: { Name: "RegisterMemoryModel" or "Register" } method } invocation
                        when Is(method.ContainingType, _known.XdpRxQueueInfo):
                        _registersQueues = true;
                        if (method.Name == "RegisterMemoryModel")
                        {
                            _registrations.Add(invocation);
                        }

                        break;
                    case IArrayCreationOperation { DimensionSizes.Length: 1, Initializer: null, Type: IArrayTypeSymbol { ElementType: var element } }
                        when _known.IsPagePool(element):
                        _poolCollections.Add(operation);
                        break;
                    case IObjectCreationOperation { Type: INamedTypeSymbol { Name: "List", TypeArguments.Length: 1 } list, Arguments.Length: 1 }
                        when _known.IsPagePool(list.TypeArguments[0]) && operation.Type?.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic":
                        _poolCollections.Add(operation);
                        break;
                    case IForLoopOperation or IForEachLoopOperation or IWhileLoopOperation:
                        _loops.Add((ILoopOperation)operation);
                        break;
                    case ISimpleAssignmentOperation or IVariableDeclaratorOperation:
                        _writes.Add(operation);
                        break;
                    case IInvocationOperation { TargetMethod: { IsStatic: false, MethodKind: MethodKind.Ordinary, DeclaringSyntaxReferences.Length: 1 } } call:
                        _calls.Add(call);
                        break;
                }
            }
        }

        /// <summary>
        /// A per-queue loop that calls a method of this type which creates a pool into one field (not a slot per queue):
        /// each queue's pool overwrites the previous one's, and all queues but the last share nothing but a lost pool.
        /// </summary>
        private void PoolFieldOverwrittenPerQueue()
        {
            foreach (var loop in _loops)
            {
                if (!IsPerQueueLoop(loop, out _))
                {
                    continue;
                }

                foreach (var call in _calls)
                {
                    if (!loop.Syntax.Span.Contains(call.Syntax.Span)
                        || (call.Instance is not (null or IInstanceReferenceOperation))
                        || !SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _root.SemanticModel?.GetEnclosingSymbol(_root.Syntax.SpanStart)?.ContainingType)
                        || CreatesIntoField(call.TargetMethod) is not { } create
                        || OptsOut(create) != OptOut.No)
                    {
                        continue;
                    }

                    var field = ((ISimpleAssignmentOperation)SkipConversions(create).Parent!).Target is IFieldReferenceOperation target ? target.Field.Name : "?";
                    Report(
                        call.Syntax,
                        $"'{call.TargetMethod.Name}' creates a pool into the one field '{field}', and this loop over the RX queues calls it for every queue",
                        create.Syntax);
                }
            }
        }

        /// <summary>The method's summary: the pool it creates into a single field of its object (<c>_pool = PagePool.Create(...)</c>), or null.</summary>
        private IInvocationOperation? CreatesIntoField(IMethodSymbol method) => _creators.GetOrAdd(method, m =>
        {
            if (_root.SemanticModel is not { } model || m.DeclaringSyntaxReferences[0].GetSyntax() is not BaseMethodDeclarationSyntax declaration
                || declaration.SyntaxTree != model.SyntaxTree || !declaration.ToString().Contains("Create") || model.GetOperation(declaration) is not { } body)
            {
                return null;
            }

            foreach (var operation in body.Descendants())
            {
                if (operation is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } target, Value: var value }
                    && _known.IsPagePool(target.Type) && Unwrap(value) is IInvocationOperation invocation && IsPoolCreate(invocation))
                {
                    return invocation;
                }
            }

            return null;
        });

        /// <summary>A pool created once (outside the loop) and stored, passed on or registered inside a per-queue loop.</summary>
        private void SharedPoolInPerQueueLoop()
        {
            foreach (var loop in _loops)
            {
                if (!IsPerQueueLoop(loop, out _))
                {
                    continue;
                }

                var reported = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
                foreach (var operation in loop.Body.Descendants())
                {
                    var symbol = PoolSymbol(operation);
                    if (symbol is null || symbol is IParameterSymbol || !IsStoredOrPassed(operation) || reported.Contains(symbol)
                        || IsWrittenInside(symbol, loop.Syntax))
                    {
                        continue;
                    }

                    var origins = Origins(symbol);
                    if (origins.Count == 0 || !NoneOptsOut(origins))
                    {
                        continue;
                    }

                    reported.Add(symbol);
                    Report(
                        operation.Syntax,
                        $"Pool '{symbol.Name}' is created once, outside this loop over the RX queues, and {UseOf(operation)} for every queue",
                        origins[0].Syntax);
                }
            }
        }

        /// <summary>The same pool registered as the memory model of two different RX queue infos.</summary>
        private void PoolRegisteredTwice()
        {
            for (var second = 1; second < _registrations.Count; second++)
            {
                var later = _registrations[second];
                if (!RegistersPool(later, out var symbol) || symbol is IParameterSymbol || InsideLoop(later))
                {
                    continue;
                }

                for (var first = 0; first < second; first++)
                {
                    var earlier = _registrations[first];
                    if (!RegistersPool(earlier, out var earlierSymbol) || !SymbolEqualityComparer.Default.Equals(symbol, earlierSymbol)
                        || SameReceiver(earlier, later) || IsWrittenBetween(symbol!, earlier.Syntax.Span.End, later.Syntax.SpanStart))
                    {
                        continue;
                    }

                    var origins = Origins(symbol!);
                    if (origins.Count > 0 && NoneOptsOut(origins))
                    {
                        var line = earlier.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                        Report(later.Syntax, $"Pool '{symbol!.Name}' is registered on a second RX queue here, after the one on line {line}", earlier.Syntax);
                    }

                    break;
                }
            }
        }

        /// <summary>A pool array or list whose size is not a queue count, filled or indexed in a per-queue loop.</summary>
        private void PoolCollectionSizedWrong()
        {
            foreach (var creation in _poolCollections)
            {
                var size = creation is IArrayCreationOperation array ? array.DimensionSizes[0] : ((IObjectCreationOperation)creation).Arguments[0].Value;
                if (!IsKnownNotQueueCount(size) || StoredIn(creation) is not { } collection)
                {
                    continue;
                }

                foreach (var loop in _loops)
                {
                    if (!IsPerQueueLoop(loop, out _) || !FillsOrIndexes(loop, collection))
                    {
                        continue;
                    }

                    Report(
                        Unwrap(size).Syntax,
                        $"The pool {(creation is IArrayCreationOperation ? "array" : "list")} '{collection.Name}' is sized by '{Unwrap(size).Syntax}', which is not the RX queue count, but filled per RX queue",
                        loop.Syntax);
                    break;
                }
            }
        }

        /// <summary>A loop that creates pools up to a bound that is not the queue count, in a method that registers RX queues.</summary>
        private void CreationLoopBoundWrong()
        {
            if (!_registersQueues)
            {
                return;
            }

            foreach (var loop in _loops)
            {
                var condition = loop switch
                {
                    IForLoopOperation forLoop => forLoop.Condition,
                    IWhileLoopOperation { ConditionIsUntil: false } whileLoop => whileLoop.Condition,
                    _ => null,
                };
                if (Bound(condition) is not { } bound || !IsKnownNotQueueCount(bound))
                {
                    continue;
                }

                IInvocationOperation? create = null;
                foreach (var candidate in _creates)
                {
                    if (loop.Syntax.Span.Contains(candidate.Syntax.Span) && OptsOut(candidate) == OptOut.No)
                    {
                        create = candidate;
                        break;
                    }
                }

                if (create is not null)
                {
                    Report(
                        Unwrap(bound).Syntax,
                        $"This loop creates a pool per iteration up to '{Unwrap(bound).Syntax}', which is not the RX queue count, while the method registers RX queues",
                        create.Syntax);
                }
            }
        }

        private void Report(SyntaxNode node, string what, SyntaxNode related) =>
            _context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.PP0004PoolQueueCount,
                node.GetLocation(),
                ImmutableArray.Create(related.GetLocation()),
                what));

        /// <summary>
        /// The syntax pre-filter: a body with no call named Create, Register or RegisterMemoryModel, no array or object
        /// creation and no queue count (a loop over the queues that calls a helper) cannot create, register or collect a
        /// pool per queue, so its operations are not walked.
        /// </summary>
        public static bool MayConcernPools(SyntaxNode body)
        {
            if (body.SyntaxTree.TryGetText(out var text) && !Flow.CallNames.MaySpellOtherwise(body.SyntaxTree, System.Threading.CancellationToken.None) && !TextMentions(text, body.Span))
            {
                // Walking the nodes of every body costs more than the rest of this rule; a body whose text has no
                // "new", "Create" or "Register" (in a file that cannot spell them otherwise) cannot hold what the walk looks for.
                return false;
            }

            foreach (var node in body.DescendantNodes())
            {
                switch (node)
                {
                    case ArrayCreationExpressionSyntax or BaseObjectCreationExpressionSyntax:
                        return true;
                    case InvocationExpressionSyntax { Expression: var expression }:
                        if (Flow.CallNames.InvokedName(expression) is "Create" or "Register" or "RegisterMemoryModel")
                        {
                            return true;
                        }

                        break;
                    case IdentifierNameSyntax identifier when identifier.Identifier.ValueText.EndsWith("ueueCount", StringComparison.Ordinal):
                        // A loop over the queue count may call a helper that creates the pool (PP0004 through a summary).
                        return true;
                }
            }

            return false;
        }

        private static bool TextMentions(SourceText text, TextSpan span)
        {
            var end = Math.Min(span.End, text.Length);
            for (var i = span.Start; i < end; i++)
            {
                switch (text[i])
                {
                    case 'n' when Matches(text, i, end, "new"):
                    case 'C' when Matches(text, i, end, "Create"):
                    case 'R' when Matches(text, i, end, "Register"):
                    case 'Q' or 'q' when Matches(text, i, end, "QueueCount"):
                        return true;
                }
            }

            return false;
        }

        private static bool Matches(SourceText text, int at, int end, string word)
        {
            if (at + word.Length > end)
            {
                return false;
            }

            for (var k = 1; k < word.Length; k++)
            {
                if (text[at + k] != word[k])
                {
                    return false;
                }
            }

            return true;
        }

        private bool IsPoolCreate(IInvocationOperation invocation) =>
            invocation.TargetMethod is { Name: "Create", IsStatic: true } method && Is(method.ContainingType, _known.PagePool);

        /// <summary>A loop over the RX queues: bounded by a queue count, or over the RX queue infos themselves.</summary>
        private bool IsPerQueueLoop(ILoopOperation loop, out ILocalSymbol? index)
        {
            index = null;
            switch (loop)
            {
                case IForLoopOperation forLoop:
                    if (Bound(forLoop.Condition) is { } bound && IsQueueCount(bound) && forLoop.Condition is IBinaryOperation condition)
                    {
                        index = (Unwrap(condition.LeftOperand) as ILocalReferenceOperation ?? Unwrap(condition.RightOperand) as ILocalReferenceOperation)?.Local;
                        return true;
                    }

                    return false;
                case IWhileLoopOperation { ConditionIsUntil: false } whileLoop:
                    // while (q < dev.RxQueueCount) { ...; q++; } and its do/while form.
                    if (Bound(whileLoop.Condition) is { } whileBound && IsQueueCount(whileBound) && whileLoop.Condition is IBinaryOperation whileCondition)
                    {
                        index = (Unwrap(whileCondition.LeftOperand) as ILocalReferenceOperation ?? Unwrap(whileCondition.RightOperand) as ILocalReferenceOperation)?.Local;
                        return true;
                    }

                    return false;
                case IForEachLoopOperation forEach:
                    return Unwrap(forEach.Collection).Type is IArrayTypeSymbol { ElementType: var element } && Is(element, _known.XdpRxQueueInfo)
                        || Unwrap(forEach.Collection).Type is INamedTypeSymbol { TypeArguments.Length: 1 } named && Is(named.TypeArguments[0], _known.XdpRxQueueInfo);
                default:
                    return false;
            }
        }

        /// <summary>The X of <c>i &lt; X</c>, <c>i &lt;= X</c>, <c>X &gt; i</c>, <c>i != X</c> in a loop condition over a local.</summary>
        private static IOperation? Bound(IOperation? loopCondition)
        {
            if (loopCondition is not IBinaryOperation condition)
            {
                return null;
            }

            var left = Unwrap(condition.LeftOperand);
            var right = Unwrap(condition.RightOperand);
            return condition.OperatorKind switch
            {
                BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.NotEquals when left is ILocalReferenceOperation => condition.RightOperand,
                BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual when right is ILocalReferenceOperation => condition.LeftOperand,
                _ => null,
            };
        }

        private bool IsQueueCount(IOperation value)
        {
            value = Unwrap(value);
            switch (value)
            {
                case IPropertyReferenceOperation { Property: { Name: "Length" or "Count" } property, Instance: { } instance }:
                    // The length of the RX queue infos is the queue count too, and so is that of any array created
                    // with the queue count as its size (var rx = new RxQueue[dev.RxQueueCount]; ... rx.Length).
                    return IsQueueInfoCollection(Unwrap(instance).Type) || IsMarked(property) || IsSizedByQueueCount(Unwrap(instance));
                case IMemberReferenceOperation member:
                    return IsMarked(member.Member);
                case IParameterReferenceOperation parameter:
                    return IsMarked(parameter.Parameter);
                case ILocalReferenceOperation local:
                    return NeverWrittenInitializer(local.Local) is { } initial && IsQueueCount(initial);
                default:
                    return false;
            }
        }

        /// <summary>Values that are surely not the RX queue count: constants, and members or parameters not marked [QueueCount].</summary>
        private bool IsKnownNotQueueCount(IOperation value)
        {
            value = Unwrap(value);
            if (IsQueueCount(value))
            {
                return false;
            }

            switch (value)
            {
                case { ConstantValue.HasValue: true }:
                    return true;
                case IPropertyReferenceOperation { Property.Name: "Length" or "Count" }:
                    return false;
                case IPropertyReferenceOperation or IFieldReferenceOperation or IParameterReferenceOperation:
                    return value.Type?.SpecialType == SpecialType.System_Int32;
                case ILocalReferenceOperation local:
                    return NeverWrittenInitializer(local.Local) is { } initial && IsKnownNotQueueCount(initial);
                default:
                    return false;
            }
        }

        private bool IsSizedByQueueCount(IOperation collection)
        {
            IOperation? created = collection switch
            {
                ILocalReferenceOperation local => NeverWrittenInitializer(local.Local),
                IFieldReferenceOperation field => SingleAssignment(field.Field),
                _ => null,
            };

            return created is not null && Unwrap(created) is IArrayCreationOperation { DimensionSizes.Length: 1 } array && IsQueueCount(array.DimensionSizes[0]);
        }

        /// <summary>The value of the one assignment to <paramref name="field"/> in this body; null when there is none or more.</summary>
        private IOperation? SingleAssignment(IFieldSymbol field)
        {
            IOperation? value = null;
            foreach (var write in _writes)
            {
                if (write is ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } assignment
                    && SymbolEqualityComparer.Default.Equals(target.Field, field))
                {
                    if (value is not null)
                    {
                        return null;
                    }

                    value = assignment.Value;
                }
            }

            return value;
        }

        private bool IsQueueInfoCollection(ITypeSymbol? type) =>
            type is IArrayTypeSymbol { ElementType: var element } && Is(element, _known.XdpRxQueueInfo)
            || type is INamedTypeSymbol { TypeArguments.Length: 1 } named && Is(named.TypeArguments[0], _known.XdpRxQueueInfo);

        private bool IsMarked(ISymbol symbol)
        {
            if (_known.QueueCount is null)
            {
                return false;
            }

            foreach (var attribute in symbol.GetAttributes())
            {
                if (Is(attribute.AttributeClass, _known.QueueCount))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The pool local, field or parameter a reference operation names, if it is one.</summary>
        private ISymbol? PoolSymbol(IOperation operation) => operation switch
        {
            ILocalReferenceOperation local when _known.IsPagePool(local.Type) => local.Local,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field when _known.IsPagePool(field.Type) => field.Field,
            IParameterReferenceOperation parameter when _known.IsPagePool(parameter.Type) => parameter.Parameter,
            _ => null,
        };

        private static bool IsStoredOrPassed(IOperation reference)
        {
            var (use, parent) = SkipConversions(reference);
            return parent switch
            {
                ISimpleAssignmentOperation assignment => assignment.Value == use,
                IArgumentOperation => true,
                IVariableInitializerOperation => true,
                IArrayInitializerOperation => true,
                _ => false,
            };
        }

        private static string UseOf(IOperation reference)
        {
            var (_, parent) = SkipConversions(reference);
            return parent switch
            {
                IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "RegisterMemoryModel" } } => "registered",
                IArgumentOperation { Parent: IInvocationOperation invocation } => $"passed to '{invocation.TargetMethod.Name}'",
                IArgumentOperation { Parent: IObjectCreationOperation creation } => $"passed to 'new {creation.Type?.Name}'",
                _ => "stored",
            };
        }

        private bool RegistersPool(IInvocationOperation registration, out ISymbol? pool)
        {
            pool = null;
            if (registration.Arguments.Length != 2)
            {
                return false;
            }

            IOperation? type = null;
            IOperation? allocator = null;
            foreach (var argument in registration.Arguments)
            {
                if (argument.Parameter?.Ordinal == 0)
                {
                    type = argument.Value;
                }
                else
                {
                    allocator = argument.Value;
                }
            }

            if (type is null || allocator is null || !LocalConstants.TryGet(type, out var kind) || kind is not MemoryModelPagePool)
            {
                return false;
            }

            pool = PoolSymbol(Unwrap(allocator));
            return pool is not null;
        }

        private static bool SameReceiver(IInvocationOperation first, IInvocationOperation second) =>
            first.Instance is { } a && second.Instance is { } b && a.Syntax.IsEquivalentTo(b.Syntax, topLevel: false);

        private bool InsideLoop(IOperation operation)
        {
            foreach (var loop in _loops)
            {
                if (loop.Syntax.Span.Contains(operation.Syntax.Span))
                {
                    return true;
                }
            }

            return false;
        }

        private bool IsWrittenInside(ISymbol symbol, SyntaxNode scope) =>
            IsWrittenBetween(symbol, scope.SpanStart, scope.Span.End);

        private bool IsWrittenBetween(ISymbol symbol, int start, int end)
        {
            foreach (var write in _writes)
            {
                if (write.Syntax.SpanStart >= start && write.Syntax.Span.End <= end && WrittenSymbol(write) is { } written
                    && SymbolEqualityComparer.Default.Equals(written, symbol))
                {
                    return true;
                }
            }

            return false;
        }

        private static ISymbol? WrittenSymbol(IOperation write) => write switch
        {
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } => local.Local,
            ISimpleAssignmentOperation { Target: IFieldReferenceOperation field } => field.Field,
            ISimpleAssignmentOperation { Target: IParameterReferenceOperation parameter } => parameter.Parameter,
            IVariableDeclaratorOperation { Initializer: not null } declarator => declarator.Symbol,
            _ => null,
        };

        /// <summary>
        /// The <c>PagePool.Create</c> calls whose result goes into <paramref name="symbol"/>: in this body, and for a field
        /// also in its initializer and in the other members of the type in this file. Empty when none is visible.
        /// </summary>
        private List<IInvocationOperation> Origins(ISymbol symbol)
        {
            var origins = new List<IInvocationOperation>();
            foreach (var write in _writes)
            {
                AddOrigin(write, symbol, origins);
            }

            if (symbol is not IFieldSymbol field || _root.SemanticModel is not { } model)
            {
                return origins;
            }

            foreach (var reference in field.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree == model.SyntaxTree && reference.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } initializer }
                    && model.GetOperation(initializer) is { } initialValue && Unwrap(initialValue) is IInvocationOperation invocation && IsPoolCreate(invocation))
                {
                    origins.Add(invocation);
                }
            }

            foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree != model.SyntaxTree)
                {
                    continue;
                }

                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    if (node is AssignmentExpressionSyntax { Left: var left } assignment && !_root.Syntax.Span.Contains(node.Span)
                        && (left is IdentifierNameSyntax name && name.Identifier.ValueText == field.Name
                            || left is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var member } && member == field.Name))
                    {
                        AddOrigin(model.GetOperation(assignment), symbol, origins);
                    }
                }
            }

            return origins;
        }

        private void AddOrigin(IOperation? write, ISymbol symbol, List<IInvocationOperation> origins)
        {
            if (write is null || WrittenSymbol(write) is not { } written || !SymbolEqualityComparer.Default.Equals(written, symbol))
            {
                return;
            }

            var value = write switch
            {
                ISimpleAssignmentOperation assignment => assignment.Value,
                IVariableDeclaratorOperation declarator => declarator.Initializer?.Value,
                _ => null,
            };

            if (value is not null && Unwrap(value) is IInvocationOperation invocation && IsPoolCreate(invocation))
            {
                origins.Add(invocation);
            }
        }

        private bool NoneOptsOut(List<IInvocationOperation> origins)
        {
            foreach (var origin in origins)
            {
                if (OptsOut(origin) != OptOut.No)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Whether the params given to <c>PagePool.Create</c> set <c>AllowSharedQueues</c>; Unknown when they are not visible.</summary>
        private OptOut OptsOut(IInvocationOperation create)
        {
            if (create.Arguments.Length != 1)
            {
                return OptOut.Unknown;
            }

            var value = Unwrap(create.Arguments[0].Value);
            if (value is ILocalReferenceOperation local)
            {
                value = NeverWrittenInitializer(local.Local) is { } initial ? Unwrap(initial) : value;
            }

            if (value is not IObjectCreationOperation creation || !Is(creation.Type, _known.PagePoolParams))
            {
                return OptOut.Unknown;
            }

            foreach (var member in creation.Initializer?.Initializers ?? ImmutableArray<IOperation>.Empty)
            {
                if (member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "AllowSharedQueues" } } assignment)
                {
                    return LocalConstants.TryGet(assignment.Value, out var allow) && allow is bool allowed
                        ? allowed ? OptOut.Yes : OptOut.No
                        : OptOut.Unknown;
                }
            }

            return OptOut.No;
        }

        /// <summary>The initial value of a local that is declared with one and never assigned again in this body.</summary>
        private IOperation? NeverWrittenInitializer(ILocalSymbol local)
        {
            IOperation? initial = null;
            foreach (var write in _writes)
            {
                if (WrittenSymbol(write) is { } written && SymbolEqualityComparer.Default.Equals(written, local))
                {
                    if (initial is not null || write is not IVariableDeclaratorOperation declarator)
                    {
                        return null;
                    }

                    initial = declarator.Initializer?.Value;
                }
            }

            return initial;
        }

        private ISymbol? StoredIn(IOperation creation)
        {
            var (use, parent) = SkipConversions(creation);
            return parent switch
            {
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == use => local.Local,
                ISimpleAssignmentOperation { Target: IFieldReferenceOperation field } assignment when assignment.Value == use => field.Field,
                ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment when assignment.Value == use => property.Property,
                _ => null,
            };
        }

        /// <summary>The loop stores into the collection (<c>pools[i] = ...</c>, <c>pools.Add(...)</c>) or indexes it with its queue index.</summary>
        private bool FillsOrIndexes(ILoopOperation loop, ISymbol collection)
        {
            IsPerQueueLoop(loop, out var index);
            foreach (var operation in loop.Body.Descendants())
            {
                switch (operation)
                {
                    case IArrayElementReferenceOperation { ArrayReference: var array, Indices: var indices } when Names(array, collection):
                        if (index is not null && indices.Length == 1 && Unwrap(indices[0]) is ILocalReferenceOperation used && SymbolEqualityComparer.Default.Equals(used.Local, index))
                        {
                            return true;
                        }

                        if (operation.Parent is ISimpleAssignmentOperation assignment && assignment.Target == operation)
                        {
                            return true;
                        }

                        break;
                    case IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } instance } when Names(instance, collection):
                        return true;
                    case IInvocationOperation { TargetMethod.Name: "Add", Instance: { } instance } when Names(instance, collection):
                        return true;
                }
            }

            return false;
        }

        private static bool Names(IOperation operation, ISymbol symbol) => Unwrap(operation) switch
        {
            ILocalReferenceOperation local => SymbolEqualityComparer.Default.Equals(local.Local, symbol),
            IFieldReferenceOperation field => SymbolEqualityComparer.Default.Equals(field.Field, symbol),
            IPropertyReferenceOperation property => SymbolEqualityComparer.Default.Equals(property.Property, symbol),
            _ => false,
        };

        private static (IOperation Use, IOperation? Parent) SkipConversions(IOperation operation)
        {
            var use = operation;
            while (use.Parent is IConversionOperation)
            {
                use = use.Parent;
            }

            return (use, use.Parent);
        }

        private static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected) =>
            type is not null && expected is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, expected);
    }
}
