using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace PoolRules.Analyzers.Tests;

/// <summary>PP0003, PP0004, PP0006 and PP0007 on shapes they do not expect, and on code that does not compile.</summary>
public sealed class NapiRulesRobustnessTests : RuleFaults
{
    private const string Shapes = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using PoolRules.Runtime;

        static partial class Ext
        {
            internal static void Drop(this PagePool pool, Page page) => pool.RecycleDirect(page);
            static partial void Later(PagePool pool, Page page);
            static partial void Later(PagePool pool, Page page) => pool.RecycleDirect(page);
        }

        sealed class Shapes<T> where T : class
        {
            private static readonly PagePool Pool = PagePool.Create(new PagePoolParams { Order = 1 });
            private readonly Action<Page> _field = p => Pool.RecycleDirect(p);
            private readonly NapiPoll _poll = (n, b) => { Pool.RecycleDirect(null!); return b; };
            private Page? _page;

            public Shapes() => Pool.PutFullPage(_page!, allowDirect: true);

            public Page? Current
            {
                get { Pool.RecycleDirect(_page!); return _page; }
                set => Pool.PutPage(value!, -1, true);
            }

            public static Shapes<T> operator +(Shapes<T> a, Shapes<T> b) { Pool.RecycleDirect(a._page!); return b; }

            public string Name => nameof(Poll) + nameof(Generic);

            int Poll(Napi napi, int budget)
            {
                Generic<int>(budget);
                Pool.Drop(_page!);
                Func<int, int> f = null!;
                f = n => n > 0 ? f(n - 1) : Rec(n);
                int Rec(int n) => n > 0 ? Rec(n - 1) + Other() : f(0);
                int Other() { Pool.RecycleDirect(_page!); Thread.Sleep(0); return 0; }
                static int Pure() => 0;
                f?.Invoke(budget);
                ((Action)(() => Pool.RecycleDirect(_page!)))();
                return Pure();
            }

            private void Generic<TX>(TX value) => Pool.RecycleDirect(_page!);

            Napi Start(NetDevice dev) => new(dev, Poll);

            [NapiContext]
            async IAsyncEnumerable<int> Stream()
            {
                yield return 1;
                await Task.Yield();
                lock (this) { }
                yield return 2;
            }

            void Loops(NetDevice dev, XdpRxQueueInfo[] rxqs, PagePool?[] pools)
            {
                for (int i = 0, j = 0; i < dev.RxQueueCount && j < 2; i++, j++) { pools[i] = Pool; }
                for (;;) { break; }
                for (var i = dev.RxQueueCount; i > 0; i--) { rxqs[i].RegisterMemoryModel(MemoryModelType.PagePool, Pool); }
                while (rxqs.Length > 0) { rxqs[0].RegisterMemoryModel(MemoryModelType.PagePool, Pool); break; }
                foreach (var (rxq, k) in new[] { (rxqs[0], 1) }) { rxq.RegisterMemoryModel((MemoryModelType)k, Pool); }
                var list = new List<PagePool>(capacity: dev.TxQueueCount) { Pool };
                var arr = new PagePool[2, 2];
                var jag = new PagePool[3][];
            }
        }

        """;

    private const string Broken = """
        using System;
        using System.Threading.Tasks;
        using PoolRules.Runtime;

        class Broken
        {
            [NapiContext(
            void Poll(PagePool pool, Page page)
            {
                Task.Run(() => pool.RecycleDirect(page)
                pool.PutFullPage(page, allowDirect: );
                Missing(() => pool.RecycleDirect(page));
                new Napi(null!, Unknown);
                var p = new PagePoolParams { Order = , PoolSize = "x", Flags = PagePoolFlags.Missing, Nope = 3 };
                await Task.Delay(1);
                lock () { }
                for (var i = 0; i < ; i++) { }
            }
        }
        """;

    private const string TopLevel = """
        using System.Threading;
        using PoolRules.Runtime;

        var dev = new NetDevice("eth0", 1, 1);
        var pool = PagePool.Create(new PagePoolParams());
        var napi = new Napi(dev, Poll);
        pool.RecycleDirect(null!);

        int Poll(Napi n, int budget)
        {
            Recycle();
            return 0;
        }

        void Recycle() => pool.RecycleDirect(null!);
        """;

    [Fact]
    public async Task Odd_shapes_produce_no_exceptions_and_only_the_expected_diagnostics()
    {
        var compilation = AllAnalyzers.Compile("Shapes", TestReferences.All, ("Shapes.cs", Shapes));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        string[] Texts(string id) => diagnostics.Where(d => d.Id == id)
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => (d.Location.GetLineSpan().StartLinePosition.Line + 1) + ": " + d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan))
            .ToArray();

        // Unsafe: the partial method nobody calls (the extension is called from the poll), the lambda stored in a
        // field, the constructor, both accessors and the operator. Safe: the NapiPoll field lambda, the generic
        // helper, the recursive lambda/local-function knot and the directly invoked cast lambda inside the poll.
        Assert.Equal(
            new[]
            {
                "12: pool.RecycleDirect(page)",
                "18: Pool.RecycleDirect(p)",
                "22: Pool.PutFullPage(_page!, allowDirect: true)",
                "26: Pool.RecycleDirect(_page!)",
                "27: Pool.PutPage(value!, -1, true)",
                "30: Pool.RecycleDirect(a._page!)",
            },
            Texts("PP0003"));
        Assert.Equal(new[] { "41: Thread.Sleep(0)", "56: await Task.Yield()" }, Texts("PP0007"));
        Assert.Empty(Texts("PP0006"));
        Assert.Empty(Texts("PP0004"));
    }

    [Fact]
    public async Task Code_that_does_not_compile_produces_no_exceptions()
    {
        var compilation = AllAnalyzers.Compile("Broken", TestReferences.All, ("Broken.cs", Broken));
        Assert.NotEmpty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public async Task Top_level_local_functions_are_judged_by_their_calls_in_other_statements()
    {
        var tree = CSharpSyntaxTree.ParseText(TopLevel, new CSharpParseOptions(LanguageVersion.Latest), "Program.cs");
        var compilation = CSharpCompilation.Create(
            "TopLevel",
            new[] { tree },
            TestReferences.All,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(compilation);

        Assert.Empty(exceptions);
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "PP0003");
        Assert.Equal("pool.RecycleDirect(null!)", tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Equal(6, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains("top-level code", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
