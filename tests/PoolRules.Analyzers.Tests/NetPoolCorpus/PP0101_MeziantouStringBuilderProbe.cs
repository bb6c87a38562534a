// Origin: meziantou/Meziantou.Analyzer (https://github.com/meziantou/Meziantou.Analyzer/pull/1416)
// Bug: a pooled StringBuilder is taken unconditionally but given back only when the constant-string probe succeeds; the common failing probe drops it.
// Pool in the original: the project's internal copy of Microsoft.Extensions.ObjectPool (same Get/Return API, own namespace).
#nullable enable
using System.Text;
using Microsoft.Extensions.ObjectPool;

namespace NetPoolCorpus.MeziantouStringBuilderProbe;

public sealed class Buggy
{
    private static readonly ObjectPool<StringBuilder> s_builders =
        new DefaultObjectPool<StringBuilder>(new StringBuilderPooledObjectPolicy());

    public static bool TryGetConstant(object? operand, out string? value)
    {
        StringBuilder sb = s_builders.Get(); // expect: PP0101
        if (TryAppendConstant(operand, sb))
        {
            value = sb.ToString();
            s_builders.Return(sb);
            return true;
        }

        value = default;
        return false;
    }

    private static bool TryAppendConstant(object? operand, StringBuilder sb)
    {
        if (operand is string s)
        {
            sb.Append(s);
            return true;
        }

        return false;
    }
}

public sealed class Fixed
{
    private static readonly ObjectPool<StringBuilder> s_builders =
        new DefaultObjectPool<StringBuilder>(new StringBuilderPooledObjectPolicy());

    public static bool TryGetConstant(object? operand, out string? value)
    {
        StringBuilder sb = s_builders.Get();
        try
        {
            if (TryAppendConstant(operand, sb))
            {
                value = sb.ToString();
                return true;
            }

            value = default;
            return false;
        }
        finally
        {
            s_builders.Return(sb);
        }
    }

    private static bool TryAppendConstant(object? operand, StringBuilder sb)
    {
        if (operand is string s)
        {
            sb.Append(s);
            return true;
        }

        return false;
    }
}
