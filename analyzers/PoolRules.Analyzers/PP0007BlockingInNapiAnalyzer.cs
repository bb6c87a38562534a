using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using PoolRules.Analyzers.Napi;

namespace PoolRules.Analyzers;

/// <summary>
/// PP0007: code that blocks (see <see cref="BlockingCalls"/>, plus <c>lock</c> and every form of <c>await</c>) inside a
/// NAPI-safe context. Code after the first await is no longer in NAPI context, so only that first await is reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PP0007BlockingInNapiAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PP0007BlockingInNapi);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            // No code can be NAPI-safe where nothing names Napi: then no callback is registered, as every call and
            // property read of the compilation would otherwise reach one.
            var known = KnownSymbols.For(start.Compilation);
            if (known is null || !known.NapiContexts.MayHaveSafeContexts)
            {
                return;
            }

            var blocking = new BlockingCalls(known);
            start.RegisterOperationAction(
                operation =>
                {
                    var (what, location) = Blocking(operation.Operation, blocking);
                    if (what is null || location is null)
                    {
                        return;
                    }

                    var napi = known.NapiContexts.ContextOf(operation.Operation);
                    if (napi is { IsSafe: true })
                    {
                        operation.ReportDiagnostic(Diagnostic.Create(Descriptors.PP0007BlockingInNapi, location, what, napi.Function, napi.Reason));
                    }
                },
                OperationKind.Invocation,
                OperationKind.PropertyReference,
                OperationKind.Lock,
                OperationKind.Await,
                OperationKind.Loop,
                OperationKind.Using,
                OperationKind.UsingDeclaration);
        });
    }

    private static (string? What, Location? Location) Blocking(IOperation operation, BlockingCalls blocking)
    {
        switch (operation)
        {
            // Most calls and property reads are not blocking: their location is only made for those that are.
            case IInvocationOperation invocation:
                return blocking.Describe(invocation) is { } call ? (call, invocation.Syntax.GetLocation()) : (null, null);
            case IPropertyReferenceOperation property:
                return blocking.Describe(property) is { } read ? (read, property.Syntax.GetLocation()) : (null, null);
            case ILockOperation { Syntax: LockStatementSyntax statement }:
                return ("'lock'", Span(statement, statement.LockKeyword, statement.CloseParenToken));
            case IAwaitOperation await:
                return ("'await'", await.Syntax.GetLocation());
            case IForEachLoopOperation { IsAsynchronous: true, Syntax: CommonForEachStatementSyntax forEach }:
                return ("'await foreach'", Span(forEach, forEach.AwaitKeyword, forEach.ForEachKeyword));
            case IUsingOperation { IsAsynchronous: true, Syntax: UsingStatementSyntax usingStatement }:
                return ("'await using'", Span(usingStatement, usingStatement.AwaitKeyword, usingStatement.UsingKeyword));
            case IUsingDeclarationOperation { IsAsynchronous: true, Syntax: var syntax }
                when (syntax as LocalDeclarationStatementSyntax ?? syntax.Parent as LocalDeclarationStatementSyntax) is { } declaration:
                return ("'await using'", Span(declaration, declaration.AwaitKeyword, declaration.UsingKeyword));
            default:
                return (null, null);
        }
    }

    private static Location Span(SyntaxNode node, SyntaxToken first, SyntaxToken last) =>
        Location.Create(node.SyntaxTree, TextSpan.FromBounds(first.SpanStart, last.Span.End));
}
