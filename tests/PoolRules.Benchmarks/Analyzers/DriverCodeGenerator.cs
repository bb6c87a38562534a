using System;
using System.Collections.Generic;
using System.Text;

namespace PoolRules.Benchmarks.Analyzers;

/// <summary>
/// Generates a driver code base for analyzer benchmarks: queues whose methods use pages in the patterns real drivers
/// use (NAPI poll with XDP verdicts, try/finally, loops, ring drain, fragments, helpers that take ownership, async
/// refill), with a known number of seeded leaks. The same shapes can be emitted with <see cref="IDisposable"/>
/// buffers instead of pages (allocation becomes <c>new</c>, put becomes <c>Dispose()</c>), so that a disposal
/// analyzer such as CA2000 can be run over an equivalent code base.
/// </summary>
public static class DriverCodeGenerator
{
    /// <summary>Method shapes per generated class; every <see cref="Shapes"/>-th method of a file is a seeded leak.</summary>
    public const int Shapes = 10;

    /// <summary>
    /// Files of about 235 lines, 100 per <paramref name="scale"/>: scale 1 is about 23.5k lines and 1,100 methods.
    /// <paramref name="leakHeavy"/> makes every method leak twice instead (an early return that forgets one page and a
    /// break out of a loop that forgets another): the code base a team meets the day it installs the analyzers.
    /// </summary>
    public static GeneratedCodeBase Generate(int scale, CodeFlavor flavor, bool leakHeavy = false)
    {
        if (scale < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "At least 1.");
        }

        var files = new List<(string Name, string Text)>();
        var seeded = 0;
        var methods = 0;
        var classes = 100 * scale;
        for (var c = 0; c < classes; c++)
        {
            var text = new StringBuilder();
            text.AppendLine(flavor == CodeFlavor.Pages ? PagePrologue : DisposablePrologue);
            text.Append("public sealed class Queue").Append(c).AppendLine();
            text.AppendLine("{");
            text.AppendLine((flavor == CodeFlavor.Pages ? PageFields : DisposableFields).Replace("$C", c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            for (var m = 0; m < Shapes; m++)
            {
                var shape = (c + m) % Shapes;
                if (leakHeavy)
                {
                    var leaky = LeakyShape.Replace("$N", m.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    text.AppendLine(flavor == CodeFlavor.Pages ? leaky : ToDisposable(leaky));
                    seeded += 2;
                }
                else
                {
                    text.AppendLine(Method(shape, m, flavor));
                }

                methods++;
            }

            // One seeded leak per class: an early return on an error path that forgets the page.
            text.AppendLine(SeededLeak(flavor));
            seeded++;
            methods++;
            text.AppendLine("}");
            files.Add(($"Queue{c}.cs", text.ToString()));
        }

        files.Add(("Support.cs", flavor == CodeFlavor.Pages ? PageSupport : DisposableSupport));
        return new GeneratedCodeBase(files, seeded, methods);
    }

    private static string Method(int shape, int index, CodeFlavor flavor)
    {
        var text = shape switch
        {
            0 => PollShape,
            1 => TryFinallyShape,
            2 => LoopShape,
            3 => DrainShape,
            4 => HandOnShape,
            5 => ReturnShape,
            6 => SwitchExpressionShape,
            7 => UsingLocalFunctionShape,
            8 => FragmentShape,
            _ => AsyncShape,
        };
        text = text.Replace("$N", index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return flavor == CodeFlavor.Pages ? text : ToDisposable(text);
    }

    private static string SeededLeak(CodeFlavor flavor)
    {
        const string leak = """
                public int Seeded(int verdict)
                {
                    var page = _pool.DevAllocPages();
                    if (page is null)
                    {
                        return 0;
                    }

                    var length = page.Span.Length;
                    if (verdict < 0)
                    {
                        return -1;
                    }

                    _pool.PutFullPage(page, allowDirect: false);
                    return length;
                }
            """;
        return flavor == CodeFlavor.Pages ? leak : ToDisposable(leak);
    }

    // The IDisposable twin: the same control flow, with `new Buffer()` for an allocation and Dispose() for a put.
    private static string ToDisposable(string text) => text
        .Replace("_pool.DevAllocPages()", "new Buffer(4096)")
        .Replace("_pool.AllocPages(AllocFlags.Atomic)", "new Buffer(4096)")
        .Replace("_pool.AllocFrag(256, out var offset)", "new Buffer(256)")
        .Replace("_pool.RecycleDirect(page)", "page.Dispose()")
        .Replace("_pool.PutFullPage(page, allowDirect: false)", "page.Dispose()")
        .Replace("_pool.PutFullPage(head, allowDirect: false)", "head.Dispose()")
        .Replace("_pool.PutPage(page, -1, allowDirect: false)", "page.Dispose()")
        .Replace("_pool.ReleasePage(page);", "")
        .Replace("page.Put()", "page.Dispose()")
        .Replace("_held?.Put()", "_held?.Dispose()")
        .Replace("[NapiContext]", "")
        .Replace("[TakesPageOwnership] Page", "Buffer")
        .Replace("Page?", "Buffer?")
        .Replace("Page ", "Buffer ")
        .Replace("Page[]", "Buffer[]")
        .Replace("page.Span.Length", "page.Length")
        .Replace("page.Span[0]", "page.Data[0]");

    private const string PagePrologue = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using PoolRules.Runtime;

        namespace Generated;
        """;

    private const string DisposablePrologue = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;

        namespace Generated;
        """;

    private const string PageFields = """
            private readonly PagePool _pool;
            private readonly Page?[] _ring = new Page?[256];
            private readonly Stack _stack = new();
            private Page? _held;

            public Queue$C(PagePool pool) => _pool = pool;
        """;

    private const string DisposableFields = """
            private readonly Buffer?[] _ring = new Buffer?[256];
            private readonly Stack _stack = new();
            private Buffer? _held;
        """;

    // Two leaks: the head page on the early return, the loop's page on the break.
    private const string LeakyShape = """
            public int Leaky$N(int budget, int[] verdicts)
            {
                var head = _pool.DevAllocPages();
                if (head is null)
                {
                    return 0;
                }

                if (verdicts.Length == 0)
                {
                    return -1;
                }

                var done = 0;
                while (done < budget)
                {
                    var page = _pool.DevAllocPages();
                    if (page is null)
                    {
                        break;
                    }

                    if (verdicts[done % verdicts.Length] < 0)
                    {
                        break;
                    }

                    _pool.PutFullPage(page, allowDirect: false);
                    done++;
                }

                _pool.PutFullPage(head, allowDirect: false);
                return done;
            }
        """;

    private const string PollShape = """
            [NapiContext]
            public int Poll$N(int budget, int[] verdicts)
            {
                var done = 0;
                while (done < budget)
                {
                    var page = _pool.DevAllocPages();
                    if (page is null)
                    {
                        break;
                    }

                    var v = verdicts[done % verdicts.Length];
                    if (v < 0)
                    {
                        _pool.RecycleDirect(page);
                    }
                    else if (v == 0)
                    {
                        _pool.RecycleDirect(page);
                    }
                    else
                    {
                        _pool.ReleasePage(page);
                        _stack.Receive(page);
                    }

                    done++;
                }

                return done;
            }
        """;

    private const string TryFinallyShape = """
            public int Checksum$N(int rounds)
            {
                var page = _pool.AllocPages(AllocFlags.Atomic);
                if (page is null)
                {
                    return 0;
                }

                var sum = 0;
                try
                {
                    for (var i = 0; i < rounds; i++)
                    {
                        sum += page.Span[0] + i;
                        if (sum > 1_000_000)
                        {
                            return sum;
                        }
                    }
                }
                finally
                {
                    _pool.PutFullPage(page, allowDirect: false);
                }

                return sum;
            }
        """;

    private const string LoopShape = """
            public int Fill$N(int count)
            {
                var filled = 0;
                for (var i = 0; i < count && i < _ring.Length; i++)
                {
                    var page = _pool.DevAllocPages();
                    if (page is null)
                    {
                        continue;
                    }

                    if (_ring[i] is null)
                    {
                        _ring[i] = page;
                        filled++;
                    }
                    else
                    {
                        _pool.PutFullPage(page, allowDirect: false);
                    }
                }

                return filled;
            }
        """;

    private const string DrainShape = """
            public int Drain$N()
            {
                var drained = 0;
                for (var i = 0; i < _ring.Length; i++)
                {
                    var page = _ring[i];
                    _ring[i] = null;
                    if (page is null)
                    {
                        continue;
                    }

                    _pool.PutFullPage(page, allowDirect: false);
                    drained++;
                }

                return drained;
            }
        """;

    private const string HandOnShape = """
            public bool Enqueue$N(int length)
            {
                var page = _pool.DevAllocPages();
                if (page is null)
                {
                    return false;
                }

                if (length > 1500)
                {
                    _pool.PutPage(page, -1, allowDirect: false);
                    return false;
                }

                _stack.Receive(page);
                return true;
            }
        """;

    private const string ReturnShape = """
            public Page? Take$N(bool keep)
            {
                var page = _pool.DevAllocPages();
                if (page is null || keep)
                {
                    return page;
                }

                _held?.Put();
                _held = page;
                return null;
            }
        """;

    private const string SwitchExpressionShape = """
            [NapiContext]
            public int Verdict$N(int verdict)
            {
                var page = _pool.DevAllocPages();
                if (page is null)
                {
                    return -1;
                }

                var length = page.Span.Length;
                switch (verdict)
                {
                    case 0:
                        _pool.RecycleDirect(page);
                        break;
                    case 1:
                        _stack.Receive(page);
                        break;
                    default:
                        _pool.PutFullPage(page, allowDirect: false);
                        break;
                }

                return verdict switch { 0 => length, 1 => length / 2, _ => 0 };
            }
        """;

    private const string UsingLocalFunctionShape = """
            public int Local$N(int n)
            {
                var page = _pool.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                var result = Sum(n);
                _pool.PutFullPage(page, allowDirect: false);
                return result;

                static int Sum(int count)
                {
                    var s = 0;
                    for (var i = 0; i < count; i++)
                    {
                        s += i;
                    }

                    return s;
                }
            }
        """;

    private const string FragmentShape = """
            public int Fragment$N(int size)
            {
                var page = _pool.AllocFrag(256, out var offset);
                if (page is null)
                {
                    return 0;
                }

                var first = page.Span[0] + size;
                _pool.PutFullPage(page, allowDirect: false);
                return first;
            }
        """;

    private const string AsyncShape = """
            public async Task<int> Refill$N(int delay)
            {
                await Task.Yield();
                var page = _pool.DevAllocPages();
                if (page is null)
                {
                    return 0;
                }

                var length = page.Span.Length + delay;
                _pool.PutFullPage(page, allowDirect: false);
                return length;
            }
        """;

    private const string PageSupport = """
        using PoolRules.Runtime;

        namespace Generated;

        public sealed class Stack
        {
            private readonly System.Collections.Generic.Queue<Page> _backlog = new();

            public void Receive([TakesPageOwnership] Page page) => _backlog.Enqueue(page);
        }
        """;

    private const string DisposableSupport = """
        using System;

        namespace Generated;

        public sealed class Buffer : IDisposable
        {
            public Buffer(int length) => Data = new byte[length];

            public byte[] Data { get; }

            public int Length => Data.Length;

            public void Dispose()
            {
            }
        }

        public sealed class Stack
        {
            private readonly System.Collections.Generic.Queue<Buffer> _backlog = new();

            public void Receive(Buffer page) => _backlog.Enqueue(page);
        }
        """;
}

/// <summary>What kind of resource the generated code manages.</summary>
public enum CodeFlavor
{
    /// <summary>Pages from a PagePool (PoolRules' analyzers).</summary>
    Pages,

    /// <summary>IDisposable buffers (CA2000).</summary>
    Disposables,

    /// <summary>Rentals from ArrayPool, MemoryPool and ObjectPool (PoolRules' PP0101-PP0105; <see cref="NetPoolCodeGenerator"/>).</summary>
    NetPools,
}

/// <summary>A generated code base: its files, how many leaks were seeded, how many methods it has.</summary>
public sealed record GeneratedCodeBase(IReadOnlyList<(string Name, string Text)> Files, int SeededLeaks, int Methods)
{
    /// <summary>Total lines, for reporting sizes.</summary>
    public int Lines
    {
        get
        {
            var lines = 0;
            foreach (var (_, text) in Files)
            {
                foreach (var ch in text)
                {
                    if (ch == '\n')
                    {
                        lines++;
                    }
                }
            }

            return lines;
        }
    }
}
