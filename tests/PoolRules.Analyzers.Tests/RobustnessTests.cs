using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;

namespace PoolRules.Analyzers.Tests;

/// <summary>Unusual shapes of code: the engine must neither throw (AD0001) nor give up silently on them.</summary>
public sealed class RobustnessTests
{
    private const string Odd = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;
        using PoolRules.Runtime;

        namespace Odd;

        public record struct Slot(Page? Page, int Length);

        public sealed class Packet(Page page)
        {
            public Page Page { get; } = page;
        }

        public sealed class Shapes
        {
            private readonly PagePool _pool = PagePool.Create(new PagePoolParams());
            private readonly object _gate = new();
            private Slot _slot;
            private Page? _field;
            private event Action<Page>? Arrived;

            public Page? this[int i] { get => _field; set => _field = value; }

            public Packet Wrap() => new Packet(_pool.DevAllocPages()!);

            public async IAsyncEnumerable<int> Stream([EnumeratorCancellation] CancellationToken token = default)
            {
                await foreach (var n in Numbers(token))
                {
                    var page = _pool.DevAllocPages();
                    if (page is null)
                    {
                        yield break;
                    }

                    yield return n + page.Length;
                    _pool.PutFullPage(page, false);
                }
            }

            private static async IAsyncEnumerable<int> Numbers([EnumeratorCancellation] CancellationToken token = default)
            {
                await Task.Yield();
                yield return 1;
            }

            public int Mixed(int kind, dynamic dyn, Page?[] ring)
            {
                Page? page = null;
                try
                {
                    page = _pool.DevAllocPages();
                    lock (_gate)
                    {
                        checked
                        {
                            _slot = new Slot(page, page?.Length ?? 0);
                        }
                    }

                    ref var cell = ref ring[0];
                    cell = _pool.DevAllocPages();
                    (Page? a, int b) tuple = (_pool.DevAllocPages(), 3);
                    var (x, y) = tuple;
                    Span<byte> local = stackalloc byte[8];
                    dyn.Consume(page);
                    this[1] = _pool.DevAllocPages();
                    Arrived?.Invoke(page!);
                    var many = Enumerable.Range(0, kind).Select(_ => _pool.DevAllocPages()).Where(p => p is not null).ToList();
                    switch (kind)
                    {
                        case 0:
                            goto case 1;
                        case 1:
                            goto default;
                        default:
                            break;
                    }

                    return kind switch
                    {
                        < 0 => throw new ArgumentOutOfRangeException(nameof(kind)),
                        0 => local.Length,
                        _ when page is { Length: > 0 } p => p.Length,
                        _ => y,
                    };
                }
                catch (InvalidOperationException e) when (e.Message.Length > 0)
                {
                    return -1;
                }
                finally
                {
                    if (page != null)
                    {
                        _pool.PutFullPage(page, false);
                    }
                }
            }

            public void Nested()
            {
                Func<Func<Page?>> outer = () => () => _pool.DevAllocPages();
                var inner = outer();
                var got = inner();
                if (got is not null)
                {
                    _pool.PutFullPage(got, false);
                }

                static int Pure(int v) => v + 1;
                Pure(2);
                void Recurse(int depth)
                {
                    var p = _pool.DevAllocPages();
                    if (depth > 0)
                    {
                        Recurse(depth - 1);
                    }

                    if (p is not null)
                    {
                        _pool.PutFullPage(p, false);
                    }
                }

                Recurse(3);
            }

            public void Loops(int n)
            {
            again:
                var page = _pool.DevAllocPages();
                if (page is null)
                {
                    return;
                }

                do
                {
                    n--;
                    if (n % 2 == 0)
                    {
                        continue;
                    }
                }
                while (n > 0);

                _pool.PutFullPage(page, false);
                if (n > -5)
                {
                    goto again;
                }
            }

            public Shapes()
            {
                _field = _pool.DevAllocPages();
            }

            ~Shapes()
            {
                var old = Interlocked.Exchange(ref _field, null);
                if (old is not null)
                {
                    _pool.PutFullPage(old, false);
                }
            }
        }
        """;

    [Fact]
    public async Task Odd_constructs_produce_no_analyzer_exception()
    {
        var compilation = AllAnalyzers.Compile("Odd", TestReferences.All, ("Odd.cs", Odd));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(EngineFaults.Drain());
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public async Task Code_with_compile_errors_produces_no_analyzer_exception()
    {
        var broken = """
            using PoolRules.Runtime;
            class Broken
            {
                void M(PagePool pool)
                {
                    var page = pool.DevAllocPages(;
                    pool.PutFullPage(page, );
                    Undefined(page);
                    if (page is ) return;
                    pool.RecycleDirect(page.Missing);
                }

                Page N(PagePool pool) => pool.AllocFrag(;
            }
            """;
        var compilation = AllAnalyzers.Compile("Broken", TestReferences.All, ("Broken.cs", broken));
        Assert.NotEmpty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(EngineFaults.Drain());
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }
}
