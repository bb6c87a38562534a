using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Napi;

/// <summary>
/// Answers "does this code run in a NAPI-safe context, and why (not)?" as DESIGN.md defines it: a
/// <c>[NapiContext]</c> method or local function; a method, lambda or local function converted to the
/// <c>NapiPoll</c> delegate (the poll of a <c>Napi</c>); a lambda or local function whose every direct invocation
/// is in a NAPI-safe context; a private or internal method whose every call in the compilation is in one. Code
/// after an <c>await</c> is never NAPI-safe, nor is a lambda or method handed to any other delegate parameter,
/// stored, or subscribed to an event.
/// </summary>
/// <remarks>
/// The answer for a named method depends on its callers anywhere in the compilation, so the first question about
/// one indexes the compilation's simple names once (syntax only), binds only the references of the methods asked
/// about, and memoizes each method's answer. Mutually recursive callers are solved as a greatest fixpoint: a method
/// still being decided is assumed safe, and an answer that leaned on such an assumption about a method further up
/// the chain is not memoized, so it is decided again once that method is known. A safe answer must also be
/// grounded: some chain of callers has to reach real evidence, so a recursive cycle that nothing NAPI-safe enters
/// is not NAPI-safe.
/// </remarks>
internal sealed class NapiContexts
{
    // Bounds the work of one question on pathological call graphs; past it the answer is "unknown" (no diagnostic).
    private const int MaxReferencesPerQuestion = 4096;

    private readonly KnownSymbols _known;
    private readonly ConcurrentDictionary<SyntaxNode, bool> _functionsWithoutAwait = new();
    private readonly ConcurrentDictionary<IMethodSymbol, NapiContext> _methods = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IAssemblySymbol, bool> _assemblies = new(SymbolEqualityComparer.Default);
    private readonly Lazy<Dictionary<string, ImmutableArray<SimpleNameSyntax>>> _names;
    private readonly Lazy<bool> _mentionsNapi;

    public NapiContexts(KnownSymbols known)
    {
        _known = known;
        _names = new Lazy<Dictionary<string, ImmutableArray<SimpleNameSyntax>>>(IndexMethodNames, LazyThreadSafetyMode.ExecutionAndPublication);
        _mentionsNapi = new Lazy<bool>(MentionsNapi, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Sees every exception swallowed here; tests use it to prove nothing was silently given up.</summary>
    internal static Action<Exception>? Fault { get; set; }

    /// <summary>The context <paramref name="operation"/> runs in; null when the code is not understood (then report nothing).</summary>
    public NapiContext? ContextOf(IOperation operation)
    {
        var model = operation.SemanticModel;
        return model is null ? null : ContextOf(operation.Syntax, model);
    }

    /// <summary>The context the code at <paramref name="node"/> runs in; null when the code is not understood.</summary>
    public NapiContext? ContextOf(SyntaxNode node, SemanticModel model)
    {
        try
        {
            var query = new Query(model);
            return Analyze(node, query);
        }
#pragma warning disable CA1031 // An analyzer must never throw (AD0001): code we cannot follow gets no answer, hence no diagnostic.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            if (exception is not BudgetExceededException)
            {
                Fault?.Invoke(exception);
            }

            return null;
        }
    }

    /// <summary>
    /// Where a method group converted to a delegate will run: NAPI-safe when it becomes the NapiPoll, or when it is
    /// stored in a local that is only invoked directly in NAPI-safe code; null when not understood or not a delegate.
    /// </summary>
    public NapiContext? DelegateContext(IMethodReferenceOperation reference)
    {
        try
        {
            var (use, parent) = SkipConversions(reference);
            if (use is not IDelegateCreationOperation || parent is INameOfOperation || reference.SemanticModel is not { } model)
            {
                return null;
            }

            var query = new Query(model);
            var name = FunctionName(EnclosingFunction(reference.Syntax));
            if (IsNapiPoll(use.Type))
            {
                return NapiContext.Safe(name, "it is the NapiPoll of a Napi");
            }

            switch (parent)
            {
                case IInvocationOperation invocation when invocation.Instance == use:
                    return Analyze(invocation.Syntax, query);
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return LocalDelegateContext(declarator.Symbol, name, query);
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == use:
                    return LocalDelegateContext(local.Local, name, query);
                case IArgumentOperation or IEventAssignmentOperation or ISimpleAssignmentOperation { Target: IMemberReferenceOperation }:
                    // The method runs where the delegate is invoked, so the context to name is the receiver's.
                    return NapiContext.Unsafe(Receiver(use), $"it is {Describe(use)}, which can run it on any thread");
                default:
                    // Returned or otherwise handed to code we cannot see: where it runs is the caller's business.
                    return null;
            }
        }
#pragma warning disable CA1031 // An analyzer must never throw (AD0001): code we cannot follow gets no answer, hence no diagnostic.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            if (exception is not BudgetExceededException)
            {
                Fault?.Invoke(exception);
            }

            return null;
        }
    }

    /// <summary>
    /// False when no source file names <c>NapiContext</c>, <c>Napi</c> or <c>NapiPoll</c>: then no code of the compilation
    /// can be NAPI-safe, and a rule that reports only inside NAPI contexts (PP0007) has nothing to ask.
    /// </summary>
    public bool MayHaveSafeContexts => _mentionsNapi.Value;

    /// <summary>True when <paramref name="symbol"/> carries <c>[NapiContext]</c>.</summary>
    public bool IsMarked(ISymbol? symbol)
    {
        if (symbol is null || _known.NapiContext is null || !CanUseNapiContext(symbol.ContainingAssembly))
        {
            return false;
        }

        foreach (var attribute in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _known.NapiContext))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Only this compilation and assemblies built against PoolRules.Runtime can carry [NapiContext]; every call to a BCL
    /// method is asked about, so the answer per assembly is kept instead of reading each method's attributes.
    /// </summary>
    private bool CanUseNapiContext(IAssemblySymbol? assembly)
    {
        if (assembly is null)
        {
            return true;
        }

        if (!_assemblies.TryGetValue(assembly, out var canUse))
        {
            canUse = References(assembly, _known.PagePool.ContainingAssembly);
            _assemblies.TryAdd(assembly, canUse);
        }

        return canUse;

        static bool References(IAssemblySymbol assembly, IAssemblySymbol runtime)
        {
            if (assembly is ISourceAssemblySymbol || SymbolEqualityComparer.Default.Equals(assembly, runtime))
            {
                return true;
            }

            foreach (var module in assembly.Modules)
            {
                foreach (var reference in module.ReferencedAssemblies)
                {
                    if (reference.Name == runtime.Name)
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }

    private NapiContext Analyze(SyntaxNode node, Query query)
    {
        var function = EnclosingFunction(node);
        var name = FunctionName(function);
        if (function is null)
        {
            return NapiContext.Unsafe(name, "it is not inside a method");
        }

        if (AwaitBefore(node, function) is { } awaitReason)
        {
            return NapiContext.Unsafe(name, awaitReason);
        }

        var model = query.ModelFor(function.SyntaxTree);
        switch (function)
        {
            case AnonymousFunctionExpressionSyntax lambda:
                return LambdaContext(lambda, name, model, query);
            case LocalFunctionStatementSyntax localFunction:
                return LocalFunctionContext(localFunction, model, query);
            case BasePropertyDeclarationSyntax property:
                return model.GetDeclaredSymbol(property) is IPropertySymbol { GetMethod: { } getter }
                    ? MethodContext(getter, query)
                    : NapiContext.Unsafe(name, "it is not inside a method");
            default:
                return model.GetDeclaredSymbol(function) is IMethodSymbol method
                    ? MethodContext(method, query)
                    : NapiContext.Unsafe(name, "it is not inside a method");
        }
    }

    private NapiContext MethodContext(IMethodSymbol method, Query query)
    {
        method = Normalize(method);
        if (_methods.TryGetValue(method, out var known))
        {
            return known;
        }

        if (query.Assume(method) is { } assumed)
        {
            return assumed;
        }

        var depth = query.Enter(method);
        var result = ComputeMethodContext(method, query);
        if (query.Leave(depth))
        {
            result = Ground(result);
            _methods.TryAdd(method, result);
        }

        return result;
    }

    private NapiContext ComputeMethodContext(IMethodSymbol method, Query query)
    {
        var name = method.MethodKind == MethodKind.Constructor ? method.ContainingType.Name : method.Name;
        if (IsMarked(method))
        {
            return NapiContext.Safe(name, "it is marked [NapiContext]");
        }

        if (method.MethodKind != MethodKind.Ordinary)
        {
            return NapiContext.Unsafe(name, "it is not marked [NapiContext] and is not the NapiPoll of a Napi");
        }

        var confined = IsConfinedToAssembly(method);
        if (!confined && !CouldBeNapiPoll(method))
        {
            // Neither callers nor a NapiPoll conversion can make it safe: no need to look at its references.
            return NapiContext.Unsafe(name, "it is not marked [NapiContext], is not the NapiPoll of a Napi, and can be called from outside this assembly");
        }

        var references = References(method, query);
        foreach (var reference in references)
        {
            if (reference.Kind == ReferenceKind.NapiPoll)
            {
                return NapiContext.Safe(name, "it is the NapiPoll of a Napi");
            }
        }

        if (!confined)
        {
            return NapiContext.Unsafe(name, "it is not marked [NapiContext], is not the NapiPoll of a Napi, and can be called from outside this assembly");
        }

        return FromCallers(name, references, query, localFunction: false);
    }

    private NapiContext LocalFunctionContext(LocalFunctionStatementSyntax localFunction, SemanticModel model, Query query)
    {
        var name = localFunction.Identifier.ValueText;
        if (model.GetDeclaredSymbol(localFunction) is not IMethodSymbol symbol)
        {
            return NapiContext.Unsafe(name, "it is a local function that could not be resolved");
        }

        if (IsMarked(symbol))
        {
            return NapiContext.Safe(name, "it is marked [NapiContext]");
        }

        if (query.Assume(localFunction) is { } assumed)
        {
            return assumed.In(name);
        }

        var depth = query.Enter(localFunction);
        var result = LocalFunctionCallers(localFunction, name, symbol, query);
        return query.Leave(depth) ? Ground(result) : result;
    }

    private NapiContext LocalFunctionCallers(LocalFunctionStatementSyntax localFunction, string name, IMethodSymbol symbol, Query query)
    {
        // A local function can be referenced anywhere in the member that declares it, nested lambdas included.
        var scope = EnclosingMember(localFunction);
        var references = new List<Reference>();
        foreach (var reference in ReferencesIn(scope, name, symbol, query))
        {
            if (reference.Kind == ReferenceKind.NapiPoll)
            {
                return NapiContext.Safe(name, "it is the NapiPoll of a Napi");
            }

            references.Add(reference);
        }

        return FromCallers(name, references, query, localFunction: true);
    }

    /// <summary>Safe when every call is made from a NAPI-safe context and there is at least one; a delegate made of it is not.</summary>
    private NapiContext FromCallers(string name, List<Reference> references, Query query, bool localFunction)
    {
        var it = localFunction ? "it is a local function " : "it is ";
        var callers = new Callers();
        foreach (var reference in references)
        {
            switch (reference.Kind)
            {
                case ReferenceKind.Call:
                    var caller = Analyze(reference.Node, query);
                    if (!caller.IsSafe)
                    {
                        return NapiContext.Unsafe(name, $"{it}called from '{caller.Function}', which is not a NAPI-safe context");
                    }

                    callers.Add(caller);
                    break;
                case ReferenceKind.Delegate:
                    return NapiContext.Unsafe(name, it + reference.Description);
            }
        }

        if (callers.Example is null)
        {
            return NapiContext.Unsafe(name, localFunction
                ? "it is a local function that is not marked [NapiContext] and is never called"
                : "it is not marked [NapiContext], is not the NapiPoll of a Napi, and nothing in this compilation calls it");
        }

        return NapiContext.SafeVia(
            name,
            localFunction ? $"it is a local function called only from NAPI-safe code in '{callers.Example}'" : $"every call to it is in a NAPI-safe context, such as '{callers.Example}'",
            callers.Grounded);
    }

    private NapiContext LambdaContext(AnonymousFunctionExpressionSyntax lambda, string name, SemanticModel model, Query query)
    {
        if (IsNapiPoll(model.GetTypeInfo(lambda).ConvertedType))
        {
            return NapiContext.Safe(name, "it is a lambda that is the NapiPoll of a Napi");
        }

        if (query.Assume(lambda) is { } assumed)
        {
            return assumed.In(name);
        }

        var depth = query.Enter(lambda);
        var result = LambdaUse(lambda, name, model, query);
        return query.Leave(depth) ? Ground(result) : result;
    }

    private NapiContext LambdaUse(AnonymousFunctionExpressionSyntax lambda, string name, SemanticModel model, Query query)
    {
        if (model.GetOperation(lambda) is not IAnonymousFunctionOperation operation)
        {
            return NapiContext.Unsafe(name, "it is a lambda whose use is not understood");
        }

        var (use, parent) = SkipConversions(operation);
        switch (parent)
        {
            case IInvocationOperation invocation when invocation.Instance == use:
                var site = Analyze(invocation.Syntax, query);
                return site.IsSafe
                    ? NapiContext.SafeVia(name, $"it is a lambda invoked directly in '{site.Function}', a NAPI-safe context", site.Grounded)
                    : NapiContext.Unsafe(name, $"it is a lambda invoked in '{site.Function}', which is not a NAPI-safe context");
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                return LocalDelegateContext(declarator.Symbol, name, query);
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == use:
                return LocalDelegateContext(local.Local, name, query);
            default:
                return NapiContext.Unsafe(name, $"it is a lambda {Describe(use)}");
        }
    }

    /// <summary>A lambda stored in a local: safe when the local is only ever invoked, and every invocation is safe.</summary>
    private NapiContext LocalDelegateContext(ILocalSymbol local, string name, Query query)
    {
        if (local.DeclaringSyntaxReferences.Length != 1)
        {
            return NapiContext.Unsafe(name, $"it is a lambda stored in '{local.Name}'");
        }

        var declaration = local.DeclaringSyntaxReferences[0].GetSyntax();
        var scope = EnclosingFunction(declaration) ?? declaration;
        var model = query.ModelFor(scope.SyntaxTree);
        var sites = new Callers();
        foreach (var node in scope.DescendantNodes())
        {
            if (node is not IdentifierNameSyntax identifier || identifier.Identifier.ValueText != local.Name
                || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier).Symbol, local))
            {
                continue;
            }

            query.Step();
            if (model.GetOperation(identifier) is not ILocalReferenceOperation reference)
            {
                continue;
            }

            SyntaxNode? site = reference.Parent switch
            {
                IInvocationOperation invocation when invocation.Instance == reference => invocation.Syntax,
                IConditionalAccessOperation { WhenNotNull: IInvocationOperation invocation } access when access.Operation == reference => invocation.Syntax,
                _ => null,
            };

            if (site is null)
            {
                if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                {
                    continue;
                }

                return NapiContext.Unsafe(name, $"it is a lambda stored in '{local.Name}', which is {Describe(reference)}");
            }

            var context = Analyze(site, query);
            if (!context.IsSafe)
            {
                return NapiContext.Unsafe(name, $"it is a lambda stored in '{local.Name}' and invoked in '{context.Function}', which is not a NAPI-safe context");
            }

            sites.Add(context);
        }

        return sites.Example is null
            ? NapiContext.Unsafe(name, $"it is a lambda stored in '{local.Name}' that is never invoked")
            : NapiContext.SafeVia(name, $"it is a lambda invoked directly in '{sites.Example}', a NAPI-safe context", sites.Grounded);
    }

    private List<Reference> References(IMethodSymbol method, Query query)
    {
        var references = new List<Reference>();
        if (!_names.Value.TryGetValue(method.Name, out var nodes))
        {
            return references;
        }

        // A private method is only visible inside the type that declares it, so only that type's files can call it.
        HashSet<SyntaxTree>? trees = null;
        if (method.DeclaredAccessibility == Accessibility.Private)
        {
            trees = new HashSet<SyntaxTree>();
            var outermost = method.ContainingType;
            while (outermost.ContainingType is { } containing)
            {
                outermost = containing;
            }

            foreach (var declaration in outermost.DeclaringSyntaxReferences)
            {
                trees.Add(declaration.SyntaxTree);
            }
        }

        foreach (var node in nodes)
        {
            if (trees is not null && !trees.Contains(node.SyntaxTree))
            {
                continue;
            }

            if (Classify(node, method, query) is { } reference)
            {
                references.Add(reference);
            }
        }

        return references;
    }

    private IEnumerable<Reference> ReferencesIn(SyntaxNode scope, string name, IMethodSymbol symbol, Query query)
    {
        foreach (var node in scope.DescendantNodes())
        {
            if (node is SimpleNameSyntax simpleName && simpleName.Identifier.ValueText == name
                && Classify(simpleName, symbol, query) is { } reference)
            {
                yield return reference;
            }
        }
    }

    private Reference? Classify(SimpleNameSyntax node, IMethodSymbol target, Query query)
    {
        query.Step();
        var model = query.ModelFor(node.SyntaxTree);
        var info = model.GetSymbolInfo(node);
        var symbol = info.Symbol as IMethodSymbol;
        if (symbol is null && info.CandidateSymbols.Length == 1)
        {
            symbol = info.CandidateSymbols[0] as IMethodSymbol;
        }

        if (symbol is null || !SymbolEqualityComparer.Default.Equals(Normalize(symbol), Normalize(target)))
        {
            return null;
        }

        SyntaxNode expression = node.Parent switch
        {
            MemberAccessExpressionSyntax access when access.Name == node => access,
            MemberBindingExpressionSyntax binding => binding,
            _ => node,
        };

        if (expression.Parent is InvocationExpressionSyntax invocation && invocation.Expression == expression)
        {
            return new Reference(ReferenceKind.Call, invocation, string.Empty);
        }

        var operation = model.GetOperation(expression);
        if (operation is null)
        {
            return null;
        }

        var (use, parent) = SkipConversions(operation);
        if (parent is INameOfOperation || use.Parent is INameOfOperation)
        {
            return null;
        }

        return IsNapiPoll(use.Type)
            ? new Reference(ReferenceKind.NapiPoll, expression, string.Empty)
            : new Reference(ReferenceKind.Delegate, expression, Describe(use));
    }

    /// <summary>Where a delegate value goes, phrased after "it is ...": "passed to 'Task.Run'", "stored in '_timer'".</summary>
    private static string Describe(IOperation value)
    {
        var (use, parent) = SkipConversions(value);
        switch (parent)
        {
            case IArgumentOperation argument:
                return argument.Parent switch
                {
                    IInvocationOperation invocation => $"passed to '{invocation.TargetMethod.ContainingType.Name}.{invocation.TargetMethod.Name}'",
                    IObjectCreationOperation creation => $"passed to 'new {creation.Type?.Name}'",
                    _ => "passed on as a delegate",
                };
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                return $"stored in '{declarator.Symbol.Name}'";
            case ISimpleAssignmentOperation assignment when assignment.Value == use:
                return assignment.Target switch
                {
                    IFieldReferenceOperation field => $"stored in '{field.Field.Name}'",
                    IPropertyReferenceOperation property => $"stored in '{property.Property.Name}'",
                    ILocalReferenceOperation local => $"stored in '{local.Local.Name}'",
                    _ => "stored",
                };
            case IEventAssignmentOperation eventAssignment:
                return eventAssignment.EventReference is IEventReferenceOperation reference
                    ? $"subscribed to the event '{reference.Event.Name}'"
                    : "subscribed to an event";
            case IReturnOperation:
                return "returned as a delegate";
            case IObjectOrCollectionInitializerOperation:
                return "stored";
            default:
                return "used as a delegate that may run anywhere";
        }
    }

    /// <summary>Who receives a delegate value: "Task.Run", "new Thread", "_onDrop", "Down".</summary>
    private static string Receiver(IOperation value)
    {
        var (use, parent) = SkipConversions(value);
        return parent switch
        {
            IArgumentOperation { Parent: IInvocationOperation invocation } => $"{invocation.TargetMethod.ContainingType.Name}.{invocation.TargetMethod.Name}",
            IArgumentOperation { Parent: IObjectCreationOperation creation } => $"new {creation.Type?.Name}",
            ISimpleAssignmentOperation { Target: IMemberReferenceOperation member } assignment when assignment.Value == use => member.Member.Name,
            IEventAssignmentOperation { EventReference: IEventReferenceOperation reference } => reference.Event.Name,
            _ => "the code that receives it",
        };
    }

    private static (IOperation Use, IOperation? Parent) SkipConversions(IOperation operation)
    {
        var use = operation;
        while (use.Parent is IConversionOperation or IDelegateCreationOperation or IParenthesizedOperation)
        {
            use = use.Parent;
        }

        return (use, use.Parent);
    }

    private bool IsNapiPoll(ITypeSymbol? type) =>
        type is not null && _known.NapiPoll is not null && SymbolEqualityComparer.Default.Equals(type, _known.NapiPoll);

    /// <summary>Only a method shaped like <c>int (Napi, int)</c> converts to the NapiPoll delegate.</summary>
    private bool CouldBeNapiPoll(IMethodSymbol method) =>
        method.Parameters.Length == 2
        && method.ReturnType.SpecialType == SpecialType.System_Int32
        && method.Parameters[1].Type.SpecialType == SpecialType.System_Int32
        && method.Parameters[0].RefKind == RefKind.None
        && (method.Parameters[0].Type.SpecialType == SpecialType.System_Object
            || _known.NapiType is not null && SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, _known.NapiType));

    private bool MentionsNapi()
    {
        // A library built on the runtime may take a NapiPoll in its own API, so a lambda here can become one unnamed.
        foreach (var assembly in _known.Compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (!SymbolEqualityComparer.Default.Equals(assembly, _known.PagePool.ContainingAssembly) && assembly is not ISourceAssemblySymbol
                && CanUseNapiContext(assembly))
            {
                return true;
            }
        }

        foreach (var tree in _known.Compilation.SyntaxTrees)
        {
            // Every such name spells "Napi" in the text, unless written with a Unicode escape: most trees are settled
            // by a text search instead of a walk of all their nodes.
            if (tree.TryGetText(out var text) && text.ToString() is var source
                && source.IndexOf("Napi", StringComparison.Ordinal) < 0 && source.IndexOf("\\u", StringComparison.Ordinal) < 0)
            {
                continue;
            }

            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                if (node is SimpleNameSyntax { Identifier.ValueText: "Napi" or "NapiPoll" or "NapiContext" or "NapiContextAttribute" })
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static IMethodSymbol Normalize(IMethodSymbol method)
    {
        method = method.ReducedFrom ?? method;
        method = method.PartialDefinitionPart ?? method;
        return method.OriginalDefinition;
    }

    /// <summary>Private, internal or private protected, directly or through a containing type; not overridable.</summary>
    private static bool IsConfinedToAssembly(IMethodSymbol method)
    {
        if (method.IsVirtual || method.IsOverride || method.IsAbstract || method.IsExtern
            || !method.ExplicitInterfaceImplementations.IsEmpty)
        {
            return false;
        }

        for (ISymbol? symbol = method; symbol is not null and not INamespaceSymbol; symbol = symbol.ContainingSymbol)
        {
            if (symbol.DeclaredAccessibility is Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Why <paramref name="node"/> runs after an await of <paramref name="function"/>: one earlier in the text, or one
    /// later in an enclosing loop (the next iteration). Null when no await precedes it.
    /// </summary>
    private static bool MayAwait(SyntaxNode function) => function switch
    {
        BaseMethodDeclarationSyntax method => method.Modifiers.Any(SyntaxKind.AsyncKeyword),
        LocalFunctionStatementSyntax localFunction => localFunction.Modifiers.Any(SyntaxKind.AsyncKeyword),
        AnonymousFunctionExpressionSyntax lambda => lambda.AsyncKeyword.IsKind(SyntaxKind.AsyncKeyword),
        AccessorDeclarationSyntax or BasePropertyDeclarationSyntax => false,
        _ => true,
    };

    private string? AwaitBefore(SyntaxNode node, SyntaxNode function)
    {
        // Every question about code in a function walks it; most functions have no await, and need walking once. Only
        // an async function (or top-level code) can await at all.
        if (!MayAwait(function) || _functionsWithoutAwait.ContainsKey(function))
        {
            return null;
        }

        var sawAwait = false;
        foreach (var candidate in function.DescendantNodes(n => n == function || !IsFunction(n)))
        {
            int resumesAt;
            string what;
            switch (candidate)
            {
                case AwaitExpressionSyntax await:
                    resumesAt = await.Span.End;
                    what = "await";
                    break;
                case CommonForEachStatementSyntax { AwaitKeyword.RawKind: not 0 } forEach:
                    resumesAt = forEach.Expression.Span.End;
                    what = "await foreach";
                    break;
                case UsingStatementSyntax { AwaitKeyword.RawKind: not 0 } usingStatement:
                    resumesAt = usingStatement.Span.End;
                    what = "await using";
                    break;
                case LocalDeclarationStatementSyntax { AwaitKeyword.RawKind: not 0, Parent: { } block } declaration:
                    resumesAt = block.Span.End;
                    what = "await using";
                    break;
                default:
                    continue;
            }

            sawAwait = true;

            if (candidate.Span.Contains(node.Span) && candidate is AwaitExpressionSyntax)
            {
                // The awaited operand runs before the await suspends.
                continue;
            }

            var line = candidate.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            if (resumesAt <= node.SpanStart)
            {
                return $"it runs after the '{what}' on line {line}";
            }

            for (var loop = candidate.Parent; loop is not null && loop != function; loop = loop.Parent)
            {
                if (loop is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or CommonForEachStatementSyntax
                    && loop.Span.Contains(node.Span) && loop != node)
                {
                    return $"it runs again after the '{what}' on line {line}, in the next iteration of the loop";
                }
            }
        }

        if (!sawAwait)
        {
            _functionsWithoutAwait.TryAdd(function, true);
        }

        return null;
    }

    private static bool IsFunction(SyntaxNode node) => node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax;

    /// <summary>The innermost lambda, local function or member whose body holds <paramref name="node"/>.</summary>
    private static SyntaxNode? EnclosingFunction(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case AnonymousFunctionExpressionSyntax:
                case LocalFunctionStatementSyntax:
                case BaseMethodDeclarationSyntax:
                case AccessorDeclarationSyntax:
                    return current;
                case BasePropertyDeclarationSyntax property when property is PropertyDeclarationSyntax { ExpressionBody: not null } or IndexerDeclarationSyntax { ExpressionBody: not null }:
                    return current;
                case MemberDeclarationSyntax:
                    return null;
            }
        }

        return null;
    }

    private static SyntaxNode EnclosingMember(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is GlobalStatementSyntax)
            {
                // A local function of top-level code can be called from any other top-level statement.
                return current.Parent ?? current;
            }

            if (current is MemberDeclarationSyntax or CompilationUnitSyntax)
            {
                return current;
            }
        }

        return node.SyntaxTree.GetRoot();
    }

    /// <summary>The name a diagnostic shows for the function holding code: the method or local function; for a lambda, the one declaring it.</summary>
    private static string FunctionName(SyntaxNode? function)
    {
        for (var current = function; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case LocalFunctionStatementSyntax localFunction:
                    return localFunction.Identifier.ValueText;
                case MethodDeclarationSyntax method:
                    return method.Identifier.ValueText;
                case ConstructorDeclarationSyntax constructor:
                    return constructor.Identifier.ValueText;
                case AccessorDeclarationSyntax { Parent.Parent: PropertyDeclarationSyntax property } accessor:
                    return $"{property.Identifier.ValueText}.{accessor.Keyword.ValueText}";
                case PropertyDeclarationSyntax property:
                    return property.Identifier.ValueText;
                case EventDeclarationSyntax eventDeclaration:
                    return eventDeclaration.Identifier.ValueText;
                case MemberDeclarationSyntax:
                    return "this member";
            }
        }

        return "top-level code";
    }

    /// <summary>Every simple name that is also the name of a source method, by name; built once, from syntax alone.</summary>
    private Dictionary<string, ImmutableArray<SimpleNameSyntax>> IndexMethodNames()
    {
        var methodNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tree in _known.Compilation.SyntaxTrees)
        {
            foreach (var node in tree.GetRoot().DescendantNodes(n => n is not BlockSyntax and not ArrowExpressionClauseSyntax))
            {
                if (node is MethodDeclarationSyntax method)
                {
                    methodNames.Add(method.Identifier.ValueText);
                }
            }
        }

        var builders = new Dictionary<string, ImmutableArray<SimpleNameSyntax>.Builder>(StringComparer.Ordinal);
        foreach (var tree in _known.Compilation.SyntaxTrees)
        {
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                if (node is SimpleNameSyntax name && methodNames.Contains(name.Identifier.ValueText))
                {
                    if (!builders.TryGetValue(name.Identifier.ValueText, out var builder))
                    {
                        builder = ImmutableArray.CreateBuilder<SimpleNameSyntax>();
                        builders.Add(name.Identifier.ValueText, builder);
                    }

                    builder.Add(name);
                }
            }
        }

        var index = new Dictionary<string, ImmutableArray<SimpleNameSyntax>>(builders.Count, StringComparer.Ordinal);
        foreach (var pair in builders)
        {
            index.Add(pair.Key, pair.Value.ToImmutable());
        }

        return index;
    }

    /// <summary>
    /// A safe answer that only an assumption about this very function supports (a recursive cycle that nothing
    /// NAPI-safe enters) is no evidence at all: once the function's own question is settled, it becomes unsafe.
    /// </summary>
    private static NapiContext Ground(NapiContext result) =>
        result.IsSafe && !result.Grounded
            ? NapiContext.Unsafe(result.Function, "it is only called from code that no NAPI-safe context reaches")
            : result;

    /// <summary>The safe callers of a function so far: one to name in a message (a grounded one when there is), and whether any is grounded.</summary>
    private sealed class Callers
    {
        public string? Example { get; private set; }

        public bool Grounded { get; private set; }

        public void Add(NapiContext caller)
        {
            if (caller.Grounded && !Grounded)
            {
                Grounded = true;
                Example = caller.Function;
            }

            Example ??= caller.Function;
        }
    }

    private enum ReferenceKind
    {
        Call,
        NapiPoll,
        Delegate,
    }

    private readonly struct Reference
    {
        public Reference(ReferenceKind kind, SyntaxNode node, string description)
        {
            Kind = kind;
            Node = node;
            Description = description;
        }

        public ReferenceKind Kind { get; }

        /// <summary>The invocation for a call, else the method group expression.</summary>
        public SyntaxNode Node { get; }

        public string Description { get; }
    }

    private sealed class BudgetExceededException : Exception
    {
    }

    /// <summary>The state of one question: the functions being decided (for cycles) and the semantic models used.</summary>
    private sealed class Query
    {
        private readonly List<(object Function, int SavedAssumption)> _stack = new();
        private readonly Dictionary<SyntaxTree, SemanticModel> _models = new();
        private readonly Compilation _compilation;
        private int _lowestAssumption = int.MaxValue;
        private int _steps;

        public Query(SemanticModel model)
        {
            _compilation = model.Compilation;
            _models.Add(model.SyntaxTree, model);
        }

        public SemanticModel ModelFor(SyntaxTree tree)
        {
            if (!_models.TryGetValue(tree, out var model))
            {
                // The callers of a method live in other files. Under the analyzer driver this model comes from its
                // semantic model provider, shared with the driver's own analysis of that file.
#pragma warning disable RS1030 // Deliberate: "who calls this private method" can only be answered from the callers' files.
                model = _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                _models.Add(tree, model);
            }

            return model;
        }

        public void Step()
        {
            if (++_steps > MaxReferencesPerQuestion)
            {
                throw new BudgetExceededException();
            }
        }

        /// <summary>When <paramref name="function"/> is being decided further up, assume it safe (greatest fixpoint) and remember how far up.</summary>
        public NapiContext? Assume(object function)
        {
            for (var i = 0; i < _stack.Count; i++)
            {
                var active = _stack[i].Function;
                if (ReferenceEquals(active, function)
                    || active is ISymbol symbol && function is ISymbol other && SymbolEqualityComparer.Default.Equals(symbol, other))
                {
                    _lowestAssumption = Math.Min(_lowestAssumption, i);
                    var name = active switch
                    {
                        IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => constructor.ContainingType.Name,
                        ISymbol symbol1 => symbol1.Name,
                        SyntaxNode node => FunctionName(node),
                        _ => string.Empty,
                    };
                    return NapiContext.Assumed(name);
                }
            }

            return null;
        }

        public int Enter(object function)
        {
            _stack.Add((function, _lowestAssumption));
            _lowestAssumption = int.MaxValue;
            return _stack.Count - 1;
        }

        /// <summary>Pops the function entered at <paramref name="depth"/>; true when its answer leaned on no assumption about a function further up.</summary>
        public bool Leave(int depth)
        {
            var saved = _stack[depth].SavedAssumption;
            _stack.RemoveAt(depth);
            var independent = _lowestAssumption >= depth;
            _lowestAssumption = Math.Min(saved, independent ? int.MaxValue : _lowestAssumption);
            return independent;
        }
    }
}
