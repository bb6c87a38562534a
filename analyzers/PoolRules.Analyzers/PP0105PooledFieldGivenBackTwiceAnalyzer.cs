using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PoolRules.Analyzers.Flow;

namespace PoolRules.Analyzers;

/// <summary>
/// PP0105: a type keeps a pooled value in a field and gives it back in a method that can run twice (<c>Dispose</c>,
/// <c>Dispose(bool)</c>, a finalizer, <c>Reset</c>, <c>Clear</c>) on a path that neither clears the field nor sets a guard
/// the method checked first. Reported at the give-back.
/// </summary>
/// <remarks>
/// Work happens per type and only in a type that has such a method and a field that could hold a rental; ArrayPool is
/// in every corlib, so that gate, not the compilation, is what keeps code without pools free. A field counts as pooled
/// when some member of the type assigns it a rental (directly, or through a local that holds one).
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

            start.RegisterSymbolStartAction(
                symbolStart =>
                {
                    if (symbolStart.Symbol is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } type && MayApply(type, pools))
                    {
                        var pass = new TypePass(type, known, pools, new FieldWrites(symbolStart.CancellationToken));
                        symbolStart.RegisterOperationBlockAction(pass.Visit);
                        symbolStart.RegisterSymbolEndAction(pass.Report);
                    }
                },
                SymbolKind.NamedType);
        });
    }

    /// <summary>Dispose(), Dispose(bool), a finalizer, Reset, Clear (also as explicit interface implementations).</summary>
    internal static bool CanRunTwice(IMethodSymbol method)
    {
        if (method.IsStatic)
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

    private static bool MayApply(INamedTypeSymbol type, NetPools pools)
    {
        bool method = false, field = false;
        foreach (var member in type.GetMembers())
        {
            switch (member)
            {
                case IMethodSymbol candidate when !method && CanRunTwice(candidate):
                    method = true;
                    break;
                case IFieldSymbol { IsStatic: false, IsConst: false } candidate when !field && pools.MayHoldRental(candidate.Type):
                    field = true;
                    break;
            }

            if (method && field)
            {
                return true;
            }
        }

        return false;
    }

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

        public void Visit(OperationBlockAnalysisContext context)
        {
            try
            {
                VisitCore(context);
            }
#pragma warning disable CA1031 // An unexpected shape means no diagnostic, never AD0001.
            catch (System.Exception exception) when (exception is not System.OperationCanceledException)
#pragma warning restore CA1031
            {
                PageFlowCache.EngineFault?.Invoke(exception);
            }
        }

        private void VisitCore(OperationBlockAnalysisContext context)
        {
            foreach (var block in context.OperationBlocks)
            {
                RecordRentals(block);
            }

            if (context.OwningSymbol is not IMethodSymbol method || !CanRunTwice(method))
            {
                return;
            }

            foreach (var block in context.OperationBlocks)
            {
                // The graph is built only for a body that gives something back.
                if (block is not (IBlockOperation or IMethodBodyOperation)
                    || !block.Descendants().Any(o => o is IInvocationOperation invocation && RepeatGiveBack.GivenBack(invocation, _known) is not null))
                {
                    continue;
                }

                foreach (var (giveBack, field) in _flow.Find(context.GetControlFlowGraph(block)))
                {
                    _findings.Enqueue((giveBack, field, method));
                }
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

        private bool MayHoldRental(IFieldSymbol field) =>
            SymbolEqualityComparer.Default.Equals(field.ContainingType.OriginalDefinition, _type.OriginalDefinition) && _pools.MayHoldRental(field.Type);

        private void RecordRentals(IOperation block)
        {
            // Locals that hold a rental somewhere in this member: `var grown = pool.Rent(n); …; _buffer = grown;`.
            var rentedLocals = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            foreach (var operation in block.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation { Initializer.Value: { } value } declarator when IsRental(value, rentedLocals):
                        rentedLocals.Add(declarator.Symbol);
                        break;
                    case IAssignmentOperation { Target: ILocalReferenceOperation local } assignment when IsRental(assignment.Value, rentedLocals):
                        rentedLocals.Add(local.Local);
                        break;
                }
            }

            foreach (var operation in block.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IFieldInitializerOperation initializer when IsRental(initializer.Value, rentedLocals):
                        foreach (var field in initializer.InitializedFields)
                        {
                            Pooled(field);
                        }

                        break;
                    case IAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation } target } assignment when IsRental(assignment.Value, rentedLocals):
                        Pooled(target.Field);
                        break;
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

        private bool IsRental(IOperation value, HashSet<ILocalSymbol> rentedLocals)
        {
            while (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }

            return value switch
            {
                IInvocationOperation invocation => PoolContracts.Of(invocation, _known) is { Effect: PoolEffect.Take, IsNetPool: true },
                ILocalReferenceOperation local => rentedLocals.Contains(local.Local),
                IConditionalOperation conditional => IsRental(conditional.WhenTrue, rentedLocals) || (conditional.WhenFalse is { } whenFalse && IsRental(whenFalse, rentedLocals)),
                ICoalesceOperation coalesce => IsRental(coalesce.Value, rentedLocals) || IsRental(coalesce.WhenNull, rentedLocals),
                _ => false,
            };
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
