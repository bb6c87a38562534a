using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// The names a method of a type may assign (fields and properties written, or passed by <c>ref</c>/<c>out</c>) and the
/// names it mentions at all, read from its syntax and that of the same type's methods it calls by simple name, a few
/// calls deep. An over-approximation by name: PP0105 only uses it to let a helper check a guard, clear a field or set a
/// guard, so a name too many can only cost a finding, never make one.
/// </summary>
internal sealed class FieldWrites
{
    private const int MaxDepth = 3;

    private readonly ConcurrentDictionary<IMethodSymbol, (ImmutableHashSet<string> Writes, ImmutableHashSet<string> Mentions)> _cache = new(SymbolEqualityComparer.Default);

    private readonly CancellationToken _cancellationToken;

    public FieldWrites(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

    public (ImmutableHashSet<string> Writes, ImmutableHashSet<string> Mentions) Of(IMethodSymbol method, INamedTypeSymbol type) => Of(method.OriginalDefinition, type, 0);

    private (ImmutableHashSet<string> Writes, ImmutableHashSet<string> Mentions) Of(IMethodSymbol method, INamedTypeSymbol type, int depth)
    {
        if (_cache.TryGetValue(method, out var known))
        {
            return known;
        }

        var names = ImmutableHashSet.CreateBuilder<string>();
        var mentions = ImmutableHashSet.CreateBuilder<string>();
        var callees = new HashSet<string>();
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            foreach (var node in reference.GetSyntax(_cancellationToken).DescendantNodes())
            {
                if (node is IdentifierNameSyntax mentioned)
                {
                    mentions.Add(mentioned.Identifier.ValueText);
                }

                switch (node)
                {
                    case AssignmentExpressionSyntax assignment:
                        AddName(assignment.Left, names);
                        break;
                    case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix:
                        AddName(prefix.Operand, names);
                        break;
                    case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix:
                        AddName(postfix.Operand, names);
                        break;
                    case ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument:
                        AddName(argument.Expression, names);
                        break;
                    case InvocationExpressionSyntax invocation when Name(invocation.Expression) is { } callee:
                        callees.Add(callee);
                        break;
                }
            }
        }

        if (depth < MaxDepth)
        {
            foreach (var callee in callees)
            {
                for (var current = type; current is not null; current = current.BaseType)
                {
                    foreach (var member in current.GetMembers(callee))
                    {
                        if (member is IMethodSymbol helper && !SymbolEqualityComparer.Default.Equals(helper, method))
                        {
                            var (writes, named) = Of(helper, type, depth + 1);
                            names.UnionWith(writes);
                            mentions.UnionWith(named);
                        }
                    }
                }
            }
        }

        var result = (names.ToImmutable(), mentions.ToImmutable());
        // Only a complete answer is kept: one cut short by depth may be asked again from nearer the top.
        return depth == 0 ? _cache.GetOrAdd(method, result) : result;
    }

    private static void AddName(ExpressionSyntax target, ImmutableHashSet<string>.Builder names)
    {
        if (Name(target) is { } name)
        {
            names.Add(name);
        }
        else if (target is TupleExpressionSyntax tuple)
        {
            foreach (var argument in tuple.Arguments)
            {
                AddName(argument.Expression, names);
            }
        }
    }

    // x, this.x, base.x; a generic method's name without its type arguments.
    private static string? Name(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
        GenericNameSyntax generic => generic.Identifier.ValueText,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax or BaseExpressionSyntax } member => member.Name.Identifier.ValueText,
        _ => null,
    };
}
