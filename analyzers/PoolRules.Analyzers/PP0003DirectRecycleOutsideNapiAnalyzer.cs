using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers;

/// <summary>
/// PP0003: <c>RecycleDirect</c>, <c>PutPage</c>/<c>PutFullPage</c> with a constant <c>allowDirect: true</c>, or a call of a
/// <c>[NapiContext]</c> method, in code that is not a NAPI-safe context (see <see cref="Napi.NapiContexts"/>). The message
/// names the function and the evidence that it is not NAPI-safe.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0003DirectRecycleOutsideNapiAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0003DirectRecycleOutsideNapi);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var known = KnownSymbols.For(start.Compilation);
            if (known is null)
            {
                return;
            }

            start.RegisterOperationAction(operation => AnalyzeInvocation(operation, known), OperationKind.Invocation);
            if (known.NapiContext is not null)
            {
                start.RegisterOperationAction(operation => AnalyzeMethodGroup(operation, known), OperationKind.MethodReference);
            }
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownSymbols known)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var what = DirectRecycle(invocation, known);
        if (what is null)
        {
            return;
        }

        var napi = known.NapiContexts.ContextOf(invocation);
        if (napi is null || napi.IsSafe)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Descriptors.PP0003DirectRecycleOutsideNapi, invocation.Syntax.GetLocation(), what, napi.Function, napi.Reason));
    }

    /// <summary>A [NapiContext] method handed on as a delegate runs wherever the delegate is invoked: <c>Task.Run(Refill)</c>.</summary>
    private static void AnalyzeMethodGroup(OperationAnalysisContext context, KnownSymbols known)
    {
        var reference = (IMethodReferenceOperation)context.Operation;
        if (!known.NapiContexts.IsMarked(reference.Method.OriginalDefinition))
        {
            return;
        }

        var napi = known.NapiContexts.DelegateContext(reference);
        if (napi is null || napi.IsSafe)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.PP0003DirectRecycleOutsideNapi,
            reference.Syntax.GetLocation(),
            $"[NapiContext] method '{reference.Method.Name}'",
            napi.Function,
            napi.Reason));
    }

    /// <summary>How the message names the call when it needs a NAPI-safe context; null when it does not.</summary>
    internal static string? DirectRecycle(IInvocationOperation invocation, KnownSymbols known)
    {
        var method = invocation.TargetMethod;
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, known.PagePool))
        {
            switch (method.Name)
            {
                case "RecycleDirect":
                    return "'RecycleDirect'";
                case "PutPage" or "PutFullPage" when AllowsDirect(invocation):
                    return $"'{method.Name}' with allowDirect: true";
                default:
                    return null;
            }
        }

        return known.NapiContexts.IsMarked(method.OriginalDefinition) ? $"[NapiContext] method '{method.Name}'" : null;
    }

    private static bool AllowsDirect(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == "allowDirect")
            {
                return LocalConstants.TryGet(argument.Value, out var value) && value is true;
            }
        }

        return false;
    }
}
