using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0007BlockingInNapiAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0007BlockingInNapiTests : RuleFaults
{
    private const string Io = """
        using System.IO;
        using System.Net.Sockets;

        """;

    // Positive: each kind of blocking, in each kind of NAPI-safe context.

    [Fact]
    public Task Thread_Sleep_in_a_NapiContext_method_names_the_context() => V.AnalyzerAsync(
        """
        class Rx
        {
            [NapiContext]
            void Poll() => {|#0:Thread.Sleep(1)|};
        }
        """,
        V.Diagnostic("PP0007").WithLocation(0).WithArguments("'Thread.Sleep'", "Poll", "it is marked [NapiContext]"));

    [Fact]
    public Task Lock_statement_in_the_NapiPoll_is_reported() => V.AnalyzerAsync("""
        class Driver
        {
            private readonly object _gate = new();

            Napi Start(NetDevice dev) => new Napi(dev, Poll);

            int Poll(Napi napi, int budget)
            {
                {|PP0007:lock (_gate)|}
                {
                    return 0;
                }
            }
        }
        """);

    [Fact]
    public Task Monitor_Enter_and_Thread_Join_in_napi_are_reported() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(object gate, Thread worker)
            {
                {|PP0007:Monitor.Enter(gate)|};
                Monitor.Exit(gate);
                {|PP0007:worker.Join()|};
            }
        }
        """);

    [Fact]
    public Task Waiting_on_a_task_in_napi_is_reported_in_every_form() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            int Poll(Task task, Task<int> result)
            {
                {|PP0007:task.Wait()|};
                {|PP0007:task.GetAwaiter().GetResult()|};
                {|PP0007:Task.WaitAll(task)|};
                return {|PP0007:result.Result|} + {|PP0007:result.ConfigureAwait(false).GetAwaiter().GetResult()|};
            }
        }
        """);

    [Fact]
    public Task Semaphore_and_wait_handles_in_napi_are_reported() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(SemaphoreSlim semaphore, ManualResetEvent done, ReaderWriterLockSlim rw)
            {
                {|PP0007:semaphore.Wait()|};
                semaphore.Release();
                {|PP0007:done.WaitOne()|};
                {|PP0007:rw.EnterReadLock()|};
            }
        }
        """);

    [Fact]
    public Task First_await_in_napi_is_reported_and_code_after_it_is_not_napi() => V.AnalyzerAsync(
        """
        class Rx
        {
            [NapiContext]
            async Task PollAsync()
            {
                {|#0:await Task.Delay(1)|};
                Thread.Sleep(1);
                await Task.Delay(1);
            }
        }
        """,
        V.Diagnostic("PP0007").WithLocation(0).WithArguments("'await'", "PollAsync", "it is marked [NapiContext]"));

    [Fact]
    public Task Await_foreach_and_await_using_in_napi_are_reported() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            async Task PollAsync(IAsyncEnumerable<int> frames)
            {
                {|PP0007:await foreach|} (var frame in frames)
                {
                }
            }

            [NapiContext]
            async Task CloseAsync(IAsyncDisposable resource)
            {
                {|PP0007:await using|} (resource)
                {
                }
            }
        }
        """);

    [Fact]
    public Task Synchronous_file_io_in_napi_is_reported() => V.AnalyzerAsync(Io + """
        class Rx
        {
            [NapiContext]
            void Poll(FileStream log, byte[] buffer)
            {
                var firmware = {|PP0007:File.ReadAllBytes("fw.bin")|};
                {|PP0007:File.WriteAllText("stats", "x")|};
                {|PP0007:log.Write(buffer, 0, buffer.Length)|};
                _ = {|PP0007:log.Read(buffer, 0, buffer.Length)|};
            }
        }
        """);

    [Fact]
    public Task Synchronous_socket_io_in_napi_is_reported() => V.AnalyzerAsync(Io + """
        class Rx
        {
            [NapiContext]
            void Poll(Socket socket, byte[] buffer)
            {
                _ = {|PP0007:socket.Receive(buffer)|};
                _ = {|PP0007:socket.Send(buffer)|};
            }
        }
        """);

    [Fact]
    public Task AllocPages_MayBlock_in_the_poll_lambda_is_reported() => V.AnalyzerAsync(
        """
        class Driver
        {
            Napi Start(NetDevice dev, PagePool pool) => new Napi(dev, (napi, budget) =>
            {
                var page = {|#0:pool.AllocPages(AllocFlags.MayBlock)|};
                if (page is not null)
                {
                    pool.RecycleDirect(page);
                }

                return 0;
            });
        }
        """,
        V.Diagnostic("PP0007").WithLocation(0).WithArguments(
            "'AllocPages' with AllocFlags.MayBlock", "Start", "it is a lambda that is the NapiPoll of a Napi"));

    [Fact]
    public Task AllocPages_MayBlock_through_a_local_constant_is_reported() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            Page? Refill(PagePool pool)
            {
                var gfp = AllocFlags.MayBlock | AllocFlags.NoWarn;
                return {|PP0007:pool.AllocPages(gfp)|};
            }
        }
        """);

    [Fact]
    public Task Blocking_in_a_private_helper_reached_only_from_the_poll_is_reported() => V.AnalyzerAsync(
        """
        class Driver
        {
            Napi Start(NetDevice dev) => new Napi(dev, Poll);

            int Poll(Napi napi, int budget)
            {
                Backoff();
                return 0;
            }

            private static void Backoff() => {|#0:Thread.Sleep(10)|};
        }
        """,
        V.Diagnostic("PP0007").WithLocation(0).WithArguments(
            "'Thread.Sleep'", "Backoff", "every call to it is in a NAPI-safe context, such as 'Poll'"));

    [Fact]
    public Task Blocking_in_a_lambda_or_local_function_run_directly_in_napi_is_reported() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(SemaphoreSlim gate)
            {
                Action wait = () => {|PP0007:gate.Wait()|};
                wait();
                Pause();

                void Pause() => {|PP0007:Thread.Sleep(1)|};
            }
        }
        """);

    // Negative: non-blocking work in NAPI, and blocking work outside it.

    [Fact]
    public Task Blocking_outside_any_napi_context_is_fine() => V.AnalyzerAsync(Io + """
        public class Control
        {
            private readonly object _gate = new();

            public void Reset(PagePool pool, Task task)
            {
                lock (_gate)
                {
                    Thread.Sleep(1);
                }

                task.Wait();
                _ = File.ReadAllBytes("fw.bin");
                _ = pool.AllocPages(AllocFlags.MayBlock);
            }
        }
        """);

    [Fact]
    public Task Blocking_in_a_lambda_handed_to_another_thread_is_fine() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(PagePool pool)
            {
                Task.Run(() => Thread.Sleep(1));
                new Thread(() => pool.AllocPages(AllocFlags.MayBlock)).Start();
                ThreadPool.QueueUserWorkItem(_ => { lock (pool) { } });
            }
        }
        """);

    [Fact]
    public Task Atomic_allocations_are_fine_in_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(PagePool pool)
            {
                var a = pool.AllocPages(AllocFlags.Atomic);
                var b = pool.AllocPages(AllocFlags.NoWarn);
                var c = pool.DevAllocPages();
                var d = pool.AllocFrag(512, out _);
                foreach (var page in new[] { a, b, c, d })
                {
                    if (page is not null)
                    {
                        pool.RecycleDirect(page);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Non_constant_alloc_flags_are_not_judged() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            Page? Refill(PagePool pool, AllocFlags gfp) => pool.AllocPages(gfp);
        }
        """);

    [Fact]
    public Task Non_blocking_synchronization_is_fine_in_napi() => V.AnalyzerAsync("""
        class Rx
        {
            private int _count;

            [NapiContext]
            void Poll(SemaphoreSlim semaphore, object gate, Task task)
            {
                semaphore.Release();
                Interlocked.Increment(ref _count);
                if (Monitor.IsEntered(gate))
                {
                    Monitor.Exit(gate);
                }

                _ = task.IsCompleted;
                _ = semaphore.CurrentCount;
                Thread.MemoryBarrier();
            }
        }
        """);

    [Fact]
    public Task Starting_async_work_without_awaiting_it_does_not_block() => V.AnalyzerAsync(Io + """
        class Rx
        {
            [NapiContext]
            void Poll(Stream log, byte[] buffer)
            {
                _ = File.ReadAllBytesAsync("fw.bin");
                _ = log.WriteAsync(buffer, 0, buffer.Length);
                _ = Task.Delay(1);
            }
        }
        """);

    [Fact]
    public Task Reads_on_memory_and_unknown_streams_are_not_judged() => V.AnalyzerAsync(Io + """
        class Rx
        {
            [NapiContext]
            void Poll(MemoryStream frame, Stream unknown, byte[] buffer)
            {
                _ = frame.Read(buffer, 0, buffer.Length);
                _ = unknown.Read(buffer, 0, buffer.Length);
                _ = File.Exists("fw.bin");
            }
        }
        """);

    [Fact]
    public Task Private_helper_with_a_non_napi_caller_is_not_napi() => V.AnalyzerAsync("""
        class Driver
        {
            Napi Start(NetDevice dev) => new Napi(dev, Poll);

            int Poll(Napi napi, int budget)
            {
                Backoff();
                return 0;
            }

            void Control() => Backoff();

            private static void Backoff() => Thread.Sleep(10);
        }
        """);

    [Fact]
    public Task Code_after_the_first_await_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            async Task PollAsync(Task<int> pending, object gate)
            {
                var value = {|PP0007:await pending|};
                _ = pending.Result;
                lock (gate)
                {
                }
            }
        }
        """);

    [Fact]
    public Task Result_in_a_continuation_callback_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            [NapiContext]
            void Poll(Task<int> pending)
            {
                pending.ContinueWith(t => t.Result);
            }
        }
        """);

    [Fact]
    public Task Lambda_in_napi_that_is_stored_not_invoked_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            private Action? _later;

            [NapiContext]
            void Poll()
            {
                Action sleep = () => Thread.Sleep(1);
                _later = sleep;
            }
        }
        """);

    [Fact]
    public Task Poll_shaped_method_that_is_never_a_NapiPoll_is_not_napi() => V.AnalyzerAsync("""
        public class Control
        {
            private readonly object _gate = new();

            public int Poll(Napi napi, int budget)
            {
                lock (_gate)
                {
                    Thread.Sleep(budget);
                }

                return 0;
            }

            private int Unused(Napi napi, int budget) => Task.FromResult(budget).Result;
        }
        """);

    [Fact]
    public Task Cycle_of_private_helpers_that_no_poll_enters_is_not_napi() => V.AnalyzerAsync("""
        class Rx
        {
            private void Ping(int n)
            {
                Thread.Sleep(1);
                Pong(n - 1);
            }

            private void Pong(int n)
            {
                if (n > 0)
                {
                    Ping(n);
                }
            }
        }
        """);

    [Fact]
    public Task Compilation_without_the_runtime_is_ignored_by_shape() => V.AnalyzerAsync("""
        sealed class NapiContextAttribute2 : Attribute { }

        class Rx
        {
            [NapiContextAttribute2]
            void Poll() => Thread.Sleep(1);
        }
        """);
}
