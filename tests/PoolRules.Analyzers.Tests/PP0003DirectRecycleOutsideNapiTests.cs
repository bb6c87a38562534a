using System.Linq;
using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0003DirectRecycleOutsideNapiAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0003DirectRecycleOutsideNapiTests : RuleFaults
{
    // Positive: direct recycling where nothing shows a NAPI-safe context.

    [Fact]
    public Task RecycleDirect_in_a_public_method_without_evidence_names_the_missing_context() => V.AnalyzerAsync(
        """
        public class Rx
        {
            public void Drop(PagePool pool, Page page) => {|#0:pool.RecycleDirect(page)|};
        }
        """,
        V.Diagnostic("PP0003").WithLocation(0).WithArguments(
            "'RecycleDirect'",
            "Drop",
            "it is not marked [NapiContext], is not the NapiPoll of a Napi, and can be called from outside this assembly"));

    [Fact]
    public Task Lambda_passed_to_Task_Run_is_named_in_the_message() => V.AnalyzerAsync(
        """
        class Rx
        {
            [NapiContext]
            void Worker(PagePool pool, Page page)
            {
                Task.Run(() => {|#0:pool.RecycleDirect(page)|});
            }
        }
        """,
        V.Diagnostic("PP0003").WithLocation(0).WithArguments("'RecycleDirect'", "Worker", "it is a lambda passed to 'Task.Run'"));

    [Fact]
    public Task PutFullPage_with_constant_true_outside_napi() => V.AnalyzerAsync("""
        public class Rx
        {
            public void Drop(PagePool pool, Page page) => {|PP0003:pool.PutFullPage(page, true)|};
        }
        """);

    [Fact]
    public Task PutPage_with_named_allowDirect_true_outside_napi() => V.AnalyzerAsync("""
        public class Rx
        {
            public void Drop(PagePool pool, Page page) => {|PP0003:pool.PutPage(page, dmaSyncSize: -1, allowDirect: true)|};
        }
        """);

    [Fact]
    public Task PutFullPage_with_a_local_constant_true_outside_napi() => V.AnalyzerAsync("""
        public class Rx
        {
            public void Drop(PagePool pool, Page page)
            {
                const bool direct = true;
                var alsoDirect = true;
                {|PP0003:pool.PutFullPage(page, allowDirect: direct)|};
                {|PP0003:pool.PutFullPage(page, alsoDirect)|};
            }
        }
        """);

    [Fact]
    public Task Lambdas_handed_to_threads_timers_thread_pool_and_parallel_loops_are_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(PagePool pool, Page page)
            {
                new Thread(() => {|PP0003:pool.RecycleDirect(page)|}).Start();
                ThreadPool.QueueUserWorkItem(_ => {|PP0003:pool.RecycleDirect(page)|});
                using var timer = new Timer(_ => {|PP0003:pool.RecycleDirect(page)|}, null, 0, 100);
                Parallel.For(0, 1, _ => {|PP0003:pool.RecycleDirect(page)|});
            }
        }
        """);

    [Fact]
    public Task Lambda_subscribed_to_an_event_is_not_napi() => V.AnalyzerAsync(
        """
        class Link
        {
            public event EventHandler? Down;
        }

        class Rx
        {
            [NapiContext]
            void Poll(Link link, PagePool pool, Page page)
            {
                link.Down += (_, _) => {|#0:pool.RecycleDirect(page)|};
            }
        }
        """,
        V.Diagnostic("PP0003").WithLocation(0).WithArguments("'RecycleDirect'", "Poll", "it is a lambda subscribed to the event 'Down'"));

    [Fact]
    public Task Lambda_passed_to_any_delegate_parameter_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            static void Later(Action action) => action();

            [NapiContext]
            void Poll(PagePool pool, Page page)
            {
                Later(() => {|PP0003:pool.RecycleDirect(page)|});
            }
        }
        """);

    [Fact]
    public Task Direct_recycle_after_an_await_is_not_napi() => V.AnalyzerAsync(
        """
        class Rx
        {
            [NapiContext]
            async Task PollAsync(PagePool pool, Page page)
            {
                await Task.Yield();
                {|#0:pool.RecycleDirect(page)|};
            }
        }
        """,
        V.Diagnostic("PP0003").WithLocation(0).WithArguments("'RecycleDirect'", "PollAsync", "it runs after the 'await' on line 12"));

    [Fact]
    public Task Direct_recycle_before_an_await_in_a_loop_runs_after_it_next_time() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            async Task PollAsync(PagePool pool, Page page)
            {
                for (var i = 0; i < 2; i++)
                {
                    {|PP0003:pool.RecycleDirect(page)|};
                    await Task.Yield();
                }
            }
        }
        """);

    [Fact]
    public Task NapiContext_method_called_from_unsafe_code_is_reported() => V.AnalyzerAsync(
        """
        public class Rx
        {
            [NapiContext]
            void Refill(PagePool pool) { }

            public void Reset(PagePool pool) => {|#0:Refill(pool)|};
        }
        """,
        V.Diagnostic("PP0003").WithLocation(0).WithArguments(
            "[NapiContext] method 'Refill'",
            "Reset",
            "it is not marked [NapiContext], is not the NapiPoll of a Napi, and can be called from outside this assembly"));

    [Fact]
    public Task Private_helper_with_one_unsafe_caller_is_not_napi() => V.AnalyzerAsync(
        """
        class Rx
        {
            private readonly Napi _napi;

            Rx(NetDevice dev) => _napi = new Napi(dev, Poll);

            int Poll(Napi napi, int budget)
            {
                Drop(null!, null!);
                return 0;
            }

            void Worker() => Drop(null!, null!);

            private void Drop(PagePool pool, Page page) => {|#0:pool.RecycleDirect(page)|};
        }
        """,
        V.Diagnostic("PP0003").WithLocation(0).WithArguments(
            "'RecycleDirect'",
            "Drop",
            "it is called from 'Worker', which is not a NAPI-safe context"));

    [Fact]
    public Task Private_helper_nobody_calls_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            private void Drop(PagePool pool, Page page) => {|PP0003:pool.RecycleDirect(page)|};
        }
        """);

    [Fact]
    public Task Local_function_passed_to_Task_Run_from_a_poll_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(PagePool pool, Page page)
            {
                Task.Run(Drop);

                void Drop() => {|PP0003:pool.RecycleDirect(page)|};
            }
        }
        """);

    [Fact]
    public Task Lambda_stored_in_a_local_and_handed_to_Task_Run_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(PagePool pool, Page page)
            {
                Action drop = () => {|PP0003:pool.RecycleDirect(page)|};
                Task.Run(drop);
            }
        }
        """);

    [Fact]
    public Task Lambda_invoked_directly_in_an_unsafe_method_is_not_napi() => V.AnalyzerAsync("""
        public class Rx
        {
            public void Worker(PagePool pool, Page page)
            {
                Action drop = () => {|PP0003:pool.RecycleDirect(page)|};
                drop();

                void Local() => {|PP0003:pool.RecycleDirect(page)|};
                Local();
            }
        }
        """);

    [Fact]
    public Task Private_method_passed_as_a_delegate_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll() => Task.Run(Drain);

            private void Drain() => {|PP0003:Pool.RecycleDirect(Page)|};

            private PagePool Pool = null!;
            private Page Page = null!;
        }
        """);

    [Fact]
    public Task Lambda_stored_in_a_field_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            private Action? _onDrop;

            [NapiContext]
            void Poll(PagePool pool, Page page)
            {
                _onDrop = () => {|PP0003:pool.RecycleDirect(page)|};
            }
        }
        """);

    [Fact]
    public Task Napi_context_private_chain_broken_by_a_thread_start_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            Rx(NetDevice dev) => new Thread(() => First()).Start();

            private void First() => Second();

            private void Second() => {|PP0003:Pool.RecycleDirect(Page)|};

            private PagePool Pool = null!;
            private Page Page = null!;
        }
        """);

    [Fact]
    public Task NapiContext_method_handed_to_Task_Run_or_a_thread_is_reported() => V.AnalyzerAsync(
        """
        class Rx
        {
            [NapiContext]
            void Refill() { }

            [NapiContext]
            void Poll()
            {
                Task.Run({|#0:Refill|});
                new Thread({|PP0003:Refill|}).Start();
                _onTimer = {|PP0003:Refill|};
            }

            private Action? _onTimer;
        }
        """,
        V.Diagnostic("PP0003").WithLocation(0).WithArguments(
            "[NapiContext] method 'Refill'", "Task.Run", "it is passed to 'Task.Run', which can run it on any thread"));

    [Fact]
    public Task Recursive_cycles_that_no_napi_code_enters_are_not_napi() => V.AnalyzerAsync(
        """
        class Rx
        {
            private PagePool _pool = null!;

            private void Ping(Page page, int n)
            {
                {|#0:_pool.RecycleDirect(page)|};
                Pong(page, n - 1);
            }

            private void Pong(Page page, int n) => Ping(page, n);

            [NapiContext]
            void Poll(Page page)
            {
                void Spin(int n)
                {
                    {|PP0003:_pool.RecycleDirect(page)|};
                    Spin(n - 1);
                }
            }
        }
        """,
        V.Diagnostic("PP0003").WithLocation(0).WithArguments(
            "'RecycleDirect'", "Ping", "it is only called from code that no NAPI-safe context reaches"));

    [Fact]
    public async Task Internal_helper_is_judged_by_its_callers_in_every_file()
    {
        const string helper = """
            using PoolRules.Runtime;
            internal static class Recycler
            {
                internal static void Drop(PagePool pool, Page page) => pool.RecycleDirect(page);
            }
            """;
        const string poll = """
            using PoolRules.Runtime;
            public sealed class Driver
            {
                private PagePool _pool = null!;
                private Page _page = null!;
                public Napi Start(NetDevice dev) => new Napi(dev, Poll);
                private int Poll(Napi napi, int budget) { Recycler.Drop(_pool, _page); return 0; }
            }
            """;
        const string worker = """
            using System.Threading.Tasks;
            using PoolRules.Runtime;
            public static class Worker
            {
                public static Task Run(PagePool pool, Page page) => Task.Run(() => Recycler.Drop(pool, page));
            }
            """;

        var clean = await AllAnalyzers.RunAsync(AllAnalyzers.Compile("Safe", TestReferences.All, ("Recycler.cs", helper), ("Driver.cs", poll)));
        Assert.Empty(clean.Exceptions);
        Assert.DoesNotContain(clean.Diagnostics, d => d.Id == "PP0003");

        var broken = await AllAnalyzers.RunAsync(AllAnalyzers.Compile("Unsafe", TestReferences.All, ("Recycler.cs", helper), ("Driver.cs", poll), ("Worker.cs", worker)));
        Assert.Empty(broken.Exceptions);
        var diagnostic = Assert.Single(broken.Diagnostics, d => d.Id == "PP0003");
        Assert.Equal("Recycler.cs", diagnostic.Location.SourceTree!.FilePath);
        Assert.Equal("pool.RecycleDirect(page)", diagnostic.Location.SourceTree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Equal(
            "'RecycleDirect' is called in 'Drop' which is not a NAPI-safe context: it is called from 'Run', which is not a NAPI-safe context",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Private_helper_of_a_partial_class_sees_callers_in_the_other_part()
    {
        const string part1 = """
            using PoolRules.Runtime;
            public sealed partial class Driver
            {
                private PagePool _pool = null!;
                private Page _page = null!;
                private void Drop() => _pool.RecycleDirect(_page);
            }
            """;
        const string part2 = """
            using System.Threading;
            using PoolRules.Runtime;
            public sealed partial class Driver
            {
                public void Start() => new Thread(() => Drop()).Start();
            }
            """;

        var (diagnostics, exceptions) = await AllAnalyzers.RunAsync(AllAnalyzers.Compile("Partial", TestReferences.All, ("Part1.cs", part1), ("Part2.cs", part2)));

        Assert.Empty(exceptions);
        var diagnostic = Assert.Single(diagnostics.Where(d => d.Id == "PP0003"));
        Assert.Equal("Part1.cs", diagnostic.Location.SourceTree!.FilePath);
        Assert.Contains("it is called from 'Start'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
    }

    // Negative: every NAPI-safe context of DESIGN.md, and calls that do not recycle directly.

    [Fact]
    public Task NapiContext_method_may_recycle_directly() => V.AnalyzerAsync("""
        public class Rx
        {
            [NapiContext]
            public void Drop(PagePool pool, Page page)
            {
                pool.RecycleDirect(page);
                pool.PutFullPage(page, allowDirect: true);
                pool.PutPage(page, -1, true);
            }
        }
        """);

    [Fact]
    public Task Method_group_passed_as_the_NapiPoll_is_napi() => V.AnalyzerAsync("""
        public sealed class Driver
        {
            private readonly PagePool _pool = PagePool.Create(new PagePoolParams());
            private Page? _page;

            public Napi Start(NetDevice dev) => new Napi(dev, Poll);

            public int Poll(Napi napi, int budget)
            {
                if (_page is { } page)
                {
                    _pool.RecycleDirect(page);
                }

                return 0;
            }
        }
        """);

    [Fact]
    public Task Lambda_passed_as_the_NapiPoll_is_napi() => V.AnalyzerAsync("""
        class Driver
        {
            Napi Start(NetDevice dev, PagePool pool, Page page) => new Napi(dev, (napi, budget) =>
            {
                pool.RecycleDirect(page);
                return 0;
            });
        }
        """);

    [Fact]
    public Task Lambda_and_method_group_through_a_NapiPoll_local_are_napi() => V.AnalyzerAsync("""
        public class Driver
        {
            private PagePool _pool = null!;
            private Page _page = null!;

            public Napi[] Start(NetDevice dev)
            {
                NapiPoll first = (napi, budget) => { _pool.PutFullPage(_page, allowDirect: true); return 0; };
                NapiPoll second = Poll;
                return new[] { new Napi(dev, first), new Napi(dev, second) };
            }

            public int Poll(Napi napi, int budget)
            {
                _pool.RecycleDirect(_page);
                return 0;
            }
        }
        """);

    [Fact]
    public Task Local_function_passed_as_the_NapiPoll_is_napi() => V.AnalyzerAsync("""
        class Driver
        {
            Napi Start(NetDevice dev, PagePool pool, Page page)
            {
                return new Napi(dev, Poll);

                int Poll(Napi napi, int budget)
                {
                    pool.RecycleDirect(page);
                    return 0;
                }
            }
        }
        """);

    [Fact]
    public Task Lambda_and_local_function_invoked_directly_in_a_poll_are_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(PagePool pool, Page page, bool drop)
            {
                Action recycle = () => pool.RecycleDirect(page);
                if (drop)
                {
                    recycle();
                }
                else
                {
                    Recycle();
                }

                void Recycle() => pool.PutFullPage(page, allowDirect: true);
            }
        }
        """);

    [Fact]
    public Task Private_helper_called_only_from_the_poll_is_napi() => V.AnalyzerAsync("""
        class Driver
        {
            private readonly PagePool _pool = PagePool.Create(new PagePoolParams());

            Napi Start(NetDevice dev) => new Napi(dev, Poll);

            int Poll(Napi napi, int budget)
            {
                var page = _pool.DevAllocPages();
                if (page is not null)
                {
                    Drop(page);
                }

                return 0;
            }

            private void Drop(Page page) => _pool.RecycleDirect(page);
        }
        """);

    [Fact]
    public Task Private_helper_chains_and_recursion_reach_the_poll_fixpoint() => V.AnalyzerAsync("""
        class Driver
        {
            private PagePool _pool = null!;

            Napi Start(NetDevice dev) => new Napi(dev, (napi, budget) => { Outer(budget); return 0; });

            private void Outer(int n) => Inner(n);

            internal void Inner(int n)
            {
                if (n > 0)
                {
                    Inner(n - 1);
                    Ping(n);
                }
            }

            private void Ping(int n) => Pong(n);

            private void Pong(int n)
            {
                if (n > 0)
                {
                    Ping(n - 1);
                }

                _pool.RecycleDirect(null!);
            }
        }
        """);

    [Fact]
    public Task Puts_that_do_not_recycle_directly_are_fine_anywhere() => V.AnalyzerAsync("""
        public class Rx
        {
            public void Drop(PagePool pool, Page page, bool direct)
            {
                pool.PutFullPage(page, allowDirect: false);
                pool.PutPage(page, -1, false);
                pool.PutFullPage(page, direct);
                pool.ReleasePage(page);
                Task.Run(() => pool.PutFullPage(page, false));
            }
        }
        """);

    [Fact]
    public Task Local_that_is_written_again_is_not_a_constant_true() => V.AnalyzerAsync("""
        public class Rx
        {
            public void Drop(PagePool pool, Page page, bool inPoll)
            {
                var direct = true;
                if (!inPoll)
                {
                    direct = false;
                }

                pool.PutFullPage(page, direct);
            }
        }
        """);

    [Fact]
    public Task Code_before_the_first_await_is_still_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            async Task PollAsync(PagePool pool, Page page)
            {
                pool.RecycleDirect(page);
                await Task.Run(() => pool.PutFullPage(page, false));
            }
        }
        """);

    [Fact]
    public Task NapiContext_methods_calling_each_other_are_fine() => V.AnalyzerAsync("""
        public class Rx
        {
            [NapiContext]
            public int Poll(PagePool pool, int budget)
            {
                Refill(pool);
                return budget;
            }

            [NapiContext]
            void Refill(PagePool pool)
            {
                if (pool is null)
                {
                    Inner();
                }

                void Inner() => Refill(pool);
            }
        }
        """);

    [Fact]
    public Task Napi_context_method_group_as_NapiPoll_is_fine() => V.AnalyzerAsync("""
        class Driver
        {
            Napi Start(NetDevice dev) => new Napi(dev, Poll);

            [NapiContext]
            int Poll(Napi napi, int budget) => 0;
        }
        """);

    [Fact]
    public Task NapiContext_method_group_run_directly_in_napi_or_named_is_fine() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Refill() { }

            [NapiContext]
            void Poll()
            {
                Action refill = Refill;
                refill();
                ((Action)Refill)();
                _ = nameof(Refill);
            }

            // Where a returned delegate runs is the caller's business.
            Action Later() => Refill;
        }
        """);

    [Fact]
    public Task Unrelated_methods_named_RecycleDirect_are_ignored() => V.AnalyzerAsync("""
        public class OtherPool
        {
            public void RecycleDirect(object o) { }
            public void PutFullPage(object o, bool allowDirect) { }
        }

        public class User
        {
            public void Run(OtherPool pool) { pool.RecycleDirect(1); pool.PutFullPage(1, true); Task.Run(() => pool.RecycleDirect(2)); }
        }
        """);
}
