using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using PoolRules.Analyzers.Flow;
using static PoolRules.Analyzers.Conversions;

namespace PoolRules.Analyzers;

/// <summary>
/// PP0105: a type keeps a pooled value in a field and gives it back in a method that can run twice (<c>Dispose</c>,
/// <c>Dispose(bool)</c>, a finalizer, <c>Reset</c>, <c>Clear</c>) on a path that neither clears the field nor sets a guard
/// the method checked first. Reported at the give-back.
/// </summary>
/// <remarks>
/// ArrayPool is in every corlib, so the gate is per type, before any binding: a type with such a method whose body
/// calls something named <c>Return</c> or <c>Dispose</c>, a field that could hold a rental, and the word <c>Rent</c> or
/// <c>Get</c> in its text (nothing is bound or built for the gate). Past it, the type's calls and methods are asked as
/// operations: the driver binds every body for the flow rules anyway, and binding in a syntax callback would charge
/// that binding to this rule. A field counts as pooled when some member of the type assigns it a rental (directly, or
/// through a local that holds one).
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0105PooledFieldGivenBackTwiceAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0105PooledFieldGivenBackTwice);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownSymbols.ForAnyPool(start.Compilation) is not { NetPools: { } pools } known)
            {
                return;
            }

            // A compilation that never names a take registers nothing: on 150k lines of page code that never rents the
            // per-type start actions cost 740 ms. The check reads the trees' texts only (their call indexes, which the
            // flow rules then resolve body by body).
            if (!start.Compilation.SyntaxTrees.Any(tree => known.Flow.MayNameTake(tree, new TextSpan(0, tree.Length))))
            {
                return;
            }

            start.RegisterSymbolStartAction(
                symbolStart =>
                {
                    if (symbolStart.Symbol is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } type
                        && MayApply(type, known, pools, symbolStart.CancellationToken))
                    {
                        var pass = new TypePass(type, known, pools, new FieldWrites(symbolStart.CancellationToken));
                        symbolStart.RegisterOperationAction(pass.VisitCall, OperationKind.Invocation);
                        symbolStart.RegisterOperationBlockAction(pass.VisitMethod);
                        symbolStart.RegisterSymbolEndAction(pass.Report);
                    }
                },
                SymbolKind.NamedType);
        });
    }

    /// <summary>Dispose(), Dispose(bool), a finalizer, Reset, Clear (also as explicit interface implementations).</summary>
    internal static bool CanRunTwice(IMethodSymbol method)
    {
        // A readonly member (of a readonly struct, or `readonly void Dispose()`) can neither clear the field nor set a
        // guard: its type is made to be disposed once (CommunityToolkit's SpanOwner<T>), and a finding could not be fixed.
        if (method.IsStatic || method.IsReadOnly)
        {
            return false;
        }

        var name = method.MethodKind switch
        {
            MethodKind.Destructor => "Finalize",
            MethodKind.Ordinary => method.Name,
            MethodKind.ExplicitInterfaceImplementation when method.ExplicitInterfaceImplementations.Length == 1 => method.ExplicitInterfaceImplementations[0].Name,
            _ => null,
        };
        return name switch
        {
            "Finalize" => method.MethodKind == MethodKind.Destructor,
            "Dispose" => method.Parameters.IsEmpty || (method.Parameters.Length == 1 && method.Parameters[0].Type.SpecialType == SpecialType.System_Boolean),
            "Reset" or "Clear" => true,
            _ => false,
        };
    }

    private static bool MayApply(INamedTypeSymbol type, KnownSymbols known, NetPools pools, CancellationToken cancellationToken)
    {
        // The take first: most types never rent, and the tree's text answers that without a node of the type.
        if (!type.DeclaringSyntaxReferences.Any(r => known.Flow.MayNameTake(r.SyntaxTree, r.Span)))
        {
            return false;
        }

        bool method = false, field = false;
        foreach (var member in type.GetMembers())
        {
            switch (member)
            {
                case IMethodSymbol candidate when !method && CanRunTwice(candidate) && candidate.DeclaringSyntaxReferences.Any(r => GivesBackByName(r.GetSyntax(cancellationToken))):
                    method = true;
                    break;
                case IFieldSymbol { IsStatic: false, IsConst: false } candidate when !field && pools.MayHoldRental(candidate.Type):
                    field = true;
                    break;
            }
        }

        return method && field;
    }

    /// <summary>A call named Rent, or Get where ObjectPool exists (without it no Get takes, and Get is a common name).</summary>
    private static bool TakesByName(InvocationExpressionSyntax call, NetPools pools) =>
        CallNames.InvokedName(call.Expression) is ("Rent" or "Get") and var name && pools.MayTakeOrGiveBack(name);

    private static bool GivesBackByName(SyntaxNode method) =>
        method.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(c => CallNames.InvokedName(c.Expression) is "Return" or "Dispose");

    /// <summary>One type's rentals into fields and the give-backs its can-run-twice methods repeat; reported once the whole type is seen.</summary>
    private sealed class TypePass
    {
        private readonly INamedTypeSymbol _type;
        private readonly KnownSymbols _known;
        private readonly NetPools _pools;
        private readonly RepeatGiveBack _flow;
        private readonly ConcurrentDictionary<IFieldSymbol, byte> _pooled = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentQueue<(IInvocationOperation GiveBack, IFieldSymbol Field, IMethodSymbol Method)> _findings = new();

        public TypePass(INamedTypeSymbol type, KnownSymbols known, NetPools pools, FieldWrites writes)
        {
            _type = type;
            _known = known;
            _pools = pools;
            _flow = new RepeatGiveBack(type, known, writes, MayHoldRental);
        }

        /// <summary>A call named Rent or Get: when it takes from a pool, the field it ends up in is pooled.</summary>
        public void VisitCall(OperationAnalysisContext context)
        {
            var call = (IInvocationOperation)context.Operation;
            if (call.Syntax is not InvocationExpressionSyntax syntax || !TakesByName(syntax, _pools))
            {
                return;
            }

            Guard(() =>
            {
                if (IsTake(call))
                {
                    Record(call, call.SemanticModel!, context.CancellationToken);
                }
            });
        }

        /// <summary>A method that can run twice and gives something back: its graph is walked.</summary>
        public void VisitMethod(OperationBlockAnalysisContext context)
        {
            if (context.OwningSymbol is not IMethodSymbol method || !CanRunTwice(method) || !SymbolEqualityComparer.Default.Equals(method.ContainingType, _type))
            {
                return;
            }

            foreach (var block in context.OperationBlocks)
            {
                // A body's root: the method body, or its block where the driver hands that out.
                if (block is not (IMethodBodyOperation or IBlockOperation) || !GivesBackByName(block.Syntax))
                {
                    continue;
                }

                Guard(() =>
                {
                    if (block.Descendants().Any(o => o is IInvocationOperation invocation && RepeatGiveBack.GivenBack(invocation, _known) is not null))
                    {
                        foreach (var (giveBack, field) in _flow.Find(context.GetControlFlowGraph(block)))
                        {
                            _findings.Enqueue((giveBack, field, method));
                        }
                    }
                });
            }
        }

        public void Report(SymbolAnalysisContext context)
        {
            var reported = new HashSet<Location>();
            foreach (var (giveBack, field, method) in _findings)
            {
                if (!_pooled.ContainsKey(field))
                {
                    continue;
                }

                var location = Location(giveBack.Syntax);
                if (reported.Add(location))
                {
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.PP0105PooledFieldGivenBackTwice, location, Describe(method), field.Name));
                }
            }
        }

        private static void Guard(System.Action action)
        {
            try
            {
                action();
            }
#pragma warning disable CA1031 // An unexpected shape means no diagnostic, never AD0001.
            catch (System.Exception exception) when (exception is not System.OperationCanceledException)
#pragma warning restore CA1031
            {
                PageFlowCache.EngineFault?.Invoke(exception);
            }
        }

        private bool MayHoldRental(IFieldSymbol field) =>
            SymbolEqualityComparer.Default.Equals(field.ContainingType.OriginalDefinition, _type.OriginalDefinition) && _pools.MayHoldRental(field.Type);

        private bool IsTake(IInvocationOperation invocation) => PoolContracts.Of(invocation, _known) is { Effect: PoolEffect.Take, IsNetPool: true };

        // Where the rental goes: a field of this object (assigned, ??=, or initialized), or a local that a member then
        // stores into one (`var grown = pool.Rent(n); …; _buffer = grown;`).
        private void Record(IInvocationOperation take, SemanticModel model, CancellationToken cancellationToken)
        {
            IOperation value = take;
            while (value.Parent is IConversionOperation or IConditionalOperation or ICoalesceOperation)
            {
                value = value.Parent;
            }

            switch (value.Parent)
            {
                case IAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation } target }:
                    Pooled(target.Field);
                    break;
                case IFieldInitializerOperation initializer:
                    foreach (var field in initializer.InitializedFields)
                    {
                        Pooled(field);
                    }

                    break;
                case IAssignmentOperation { Target: ILocalReferenceOperation local }:
                    StoredFrom(local.Local, take, model, cancellationToken);
                    break;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    StoredFrom(declarator.Symbol, take, model, cancellationToken);
                    break;
            }
        }

        private void StoredFrom(ILocalSymbol local, IOperation take, SemanticModel model, CancellationToken cancellationToken)
        {
            var member = take.Syntax.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax);
            if (member is null || model.GetOperation(member, cancellationToken) is not { } body)
            {
                return;
            }

            foreach (var operation in body.Descendants())
            {
                if (operation is IAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation } target, Value: var stored }
                    && Unwrap(stored) is ILocalReferenceOperation read && SymbolEqualityComparer.Default.Equals(read.Local, local))
                {
                    Pooled(target.Field);
                }
            }
        }

        private void Pooled(IFieldSymbol field)
        {
            if (MayHoldRental(field.OriginalDefinition))
            {
                _pooled.TryAdd(field.OriginalDefinition, 0);
            }
        }

        // `_owner?.Dispose()` is one give-back: the whole conditional access is what the reader sees.
        private static Location Location(SyntaxNode syntax)
        {
            while (syntax.Parent is ConditionalAccessExpressionSyntax access && access.WhenNotNull == syntax)
            {
                syntax = access;
            }

            return syntax.GetLocation();
        }

        private string Describe(IMethodSymbol method) =>
            method.MethodKind == MethodKind.Destructor
                ? "~" + _type.Name + "()"
                : method.Name.Split('.').Last() + "(" + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat))) + ")";
    }
}
