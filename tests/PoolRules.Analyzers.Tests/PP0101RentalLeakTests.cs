using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0101RentalLeakAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0101RentalLeakTests
{
    private const string ExceptionPathsOn = "dotnet_code_quality.PP0101.exception_paths = true";

    // ---- leaks -------------------------------------------------------------------------------------------------

    [Fact]
    public Task Rented_array_never_returned_is_reported_at_the_rent_with_the_exit() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            int Sum(int n)
            {
                var buffer = {|#0:ArrayPool<byte>.Shared.Rent(n)|};
                buffer[0] = 1;
                {|#1:return buffer[0];|}
            }
        }
        """,
        V.Diagnostic("PP0101").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "rented", "when the method returns at line 15"));

    [Fact]
    public Task Early_return_that_skips_the_return_is_a_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            bool Decode(int n, bool corrupt)
            {
                var buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                if (corrupt)
                {
                    return false;
                }

                ArrayPool<byte>.Shared.Return(buffer);
                return true;
            }
        }
        """);

    [Fact]
    public Task Memory_owner_not_disposed_on_a_branch_is_a_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Histogram
        {
            int[]? Build(int length, bool corrupt)
            {
                IMemoryOwner<int> counts = {|PP0101:MemoryPool<int>.Shared.Rent(length)|};
                if (corrupt)
                {
                    return null;
                }

                var result = counts.Memory.Span.Slice(0, length).ToArray();
                counts.Dispose();
                return result;
            }
        }
        """);

    [Fact]
    public Task Object_from_an_object_pool_returned_on_one_branch_only_is_a_leak() => V.AnalyzerAsync("""
        using System.Text;
        using Microsoft.Extensions.ObjectPool;

        class Names
        {
            private readonly ObjectPool<StringBuilder> _builders = new DefaultObjectPoolProvider().CreateStringBuilderPool();

            string? Join(string[] parts)
            {
                var sb = {|PP0101:_builders.Get()|};
                foreach (var part in parts)
                {
                    if (part.Length == 0)
                    {
                        return null;
                    }

                    sb.Append(part);
                }

                var text = sb.ToString();
                _builders.Return(sb);
                return text;
            }
        }
        """);

    [Fact]
    public Task Variable_overwritten_while_it_holds_a_rental_is_a_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Grow
        {
            void Twice(int n)
            {
                var buffer = {|#0:ArrayPool<byte>.Shared.Rent(n)|};
                buffer[0] = 1;
                {|#1:buffer = ArrayPool<byte>.Shared.Rent(n * 2)|};
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        """,
        V.Diagnostic("PP0101").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "rented", "before the variable is overwritten at line 15"));

    [Fact]
    public Task Leak_only_when_the_method_throws_is_reported_when_editorconfig_asks() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Codec
        {
            void Fill(int n)
            {
                var buffer = {|#0:ArrayPool<byte>.Shared.Rent(n)|};
                if (n > 4096)
                {
                    {|#1:throw new ArgumentOutOfRangeException(nameof(n));|}
                }

                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        """,
        ExceptionPathsOn,
        V.Diagnostic("PP0101").WithLocation(0).WithLocation(1).WithArguments("Rental 'buffer'", "rented", "when the method throws at line 17"));

    // ---- no leak -----------------------------------------------------------------------------------------------

    [Fact]
    public Task Leak_only_when_the_method_throws_is_not_reported_by_default() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Codec
        {
            void Fill(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                if (n > 4096)
                {
                    throw new ArgumentOutOfRangeException(nameof(n));
                }

                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        """);

    [Fact]
    public Task Return_in_finally_and_using_owner_are_no_leak() => V.AnalyzerAsync("""
        using System.Buffers;
        using Microsoft.Extensions.ObjectPool;
        using System.Text;

        class Codec
        {
            int Sum(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                try
                {
                    return buffer.AsSpan(0, n).IndexOf((byte)0);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                }
            }

            int Owner(int n)
            {
                using var owner = MemoryPool<byte>.Shared.Rent(n);
                var span = owner.Memory.Span;
                span[0] = 1;
                return span[0];
            }

            string Build(ObjectPool<StringBuilder> pool)
            {
                var sb = pool.Get();
                try
                {
                    return sb.Append('x').ToString();
                }
                finally
                {
                    pool.Return(sb);
                }
            }
        }
        """);

    [Fact]
    public Task Conditional_rental_with_a_null_checked_return_in_finally_is_no_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Deserializer
        {
            int Read(int length, int kind)
            {
                byte[]? scratch = null;
                try
                {
                    if (kind == 1)
                    {
                        scratch = ArrayPool<byte>.Shared.Rent(length);
                        return scratch.Length;
                    }
                    else if (kind == 2)
                    {
                        scratch = ArrayPool<byte>.Shared.Rent(length * 2);
                        return scratch.Length / 2;
                    }

                    return 0;
                }
                finally
                {
                    if (scratch is not null)
                    {
                        ArrayPool<byte>.Shared.Return(scratch);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Rental_returned_to_the_caller_stored_in_a_field_or_a_collection_is_handed_on() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.Collections.Generic;

        class Holder
        {
            private byte[]? _buffer;
            private readonly List<byte[]> _buffers = new();

            byte[] Take(int n) => ArrayPool<byte>.Shared.Rent(n);

            IMemoryOwner<byte> Owner(int n) => MemoryPool<byte>.Shared.Rent(n);

            void Keep(int n)
            {
                _buffer = ArrayPool<byte>.Shared.Rent(n);
            }

            void Queue(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                _buffers.Add(buffer);
            }

            bool TryRent(int n, out byte[] buffer)
            {
                buffer = ArrayPool<byte>.Shared.Rent(n);
                return true;
            }
        }
        """);

    [Fact]
    public Task Rental_passed_to_a_TakesOwnership_parameter_of_any_namespace_is_handed_on() => V.AnalyzerAsync("""
        using System.Buffers;

        namespace MyCompany.Buffers
        {
            [System.AttributeUsage(System.AttributeTargets.Parameter)]
            sealed class TakesOwnershipAttribute : System.Attribute { }
        }

        class Writer
        {
            void Send(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                Enqueue(buffer);
                var other = ArrayPool<byte>.Shared.Rent(n);
                Shipped(other);
            }

            void Enqueue([MyCompany.Buffers.TakesOwnership] byte[] buffer) { }

            void Shipped([PoolRules.Runtime.TakesOwnership] byte[] buffer) { }
        }
        """);

    [Fact]
    public Task Helper_that_returns_its_argument_to_the_pool_gives_it_back() => V.AnalyzerAsync("""
        using System.Buffers;

        class Codec
        {
            void Work(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                buffer[0] = 1;
                Free(buffer);
            }

            static void Free(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
        }
        """);

    [Fact]
    public Task Async_loop_that_returns_in_finally_is_no_leak() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.IO;

        class Sender
        {
            async Task Pump(Stream source, Stream target, CancellationToken token)
            {
                while (!token.IsCancellationRequested)
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
                    try
                    {
                        int read = await source.ReadAsync(buffer, 0, buffer.Length, token);
                        if (read == 0)
                        {
                            return;
                        }

                        await target.WriteAsync(buffer.AsMemory(0, read), token);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Stackalloc_or_rent_with_a_guarded_return_is_no_leak() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.Text;

        class Formatter
        {
            string Format(string text)
            {
                byte[]? rented = null;
                Span<byte> buffer = text.Length <= 128
                    ? stackalloc byte[256]
                    : (rented = ArrayPool<byte>.Shared.Rent(text.Length * 2));
                try
                {
                    var written = Encoding.UTF8.GetBytes(text, buffer);
                    return Convert.ToHexString(buffer.Slice(0, written));
                }
                finally
                {
                    if (rented != null)
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Rental_captured_by_a_lambda_that_runs_before_the_return_is_no_leak() => V.AnalyzerAsync("""
        using System.Buffers;

        class Parallel2
        {
            void Clear(int n)
            {
                var buffer = ArrayPool<int>.Shared.Rent(n);
                System.Threading.Tasks.Parallel.For(0, n, i => buffer[i] = 0);
                ArrayPool<int>.Shared.Return(buffer);
            }
        }
        """);

    [Fact]
    public Task Code_without_pools_gets_nothing() => V.AnalyzerAsync("""
        class Plain
        {
            int[] Make(int n) => new int[n];

            int Get(System.Collections.Generic.Dictionary<int, int> map) => map[1];
        }
        """);
    // Found in MemoryPack's stream deserializer (Cysharp/MemoryPack, MemoryPackSerializer.Deserialize.cs): a loop left
    // only by a break after the rental is handed on or given back must not leak at the return after the loop.
    [Fact]
    public Task Loop_left_only_by_break_after_the_give_back_is_no_leak() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;
        using System.Collections.Generic;

        class Reader
        {
            readonly List<ReadOnlyMemory<byte>> _segments = new();

            int Drain(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                while (true)
                {
                    if (n-- == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        break;
                    }
                }

                return n;
            }

            int Collect(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                do
                {
                    if (n-- == 0)
                    {
                        _segments.Add(buffer.AsMemory(0, 1));
                        break;
                    }
                }
                while (true);

                return _segments.Count;
            }

            int Leaks(int n)
            {
                var buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                while (true)
                {
                    if (n-- == 0)
                    {
                        break;
                    }
                }

                return buffer.Length;
            }
        }
        """);

    // MemoryPack keeps each rented chunk in a list of ReadOnlyMemory<byte>: the implicit conversion to the list's element
    // type still stores the rental. A list of bytes copies them out, so there the rental leaks.
    [Fact]
    public Task Rental_kept_by_a_collection_of_the_type_it_converts_to_is_handed_on() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;
        using System.Collections.Generic;

        class Chunks
        {
            readonly List<ReadOnlyMemory<byte>> _segments = new();
            readonly List<object> _boxes = new();
            readonly List<byte> _bytes = new();

            void KeepView(int n) => _segments.Add(ArrayPool<byte>.Shared.Rent(n).AsMemory(0, 1));

            void KeepArray(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                _segments.Add(buffer);
            }

            void KeepAsObject(int n)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(n);
                _boxes.Add(buffer);
            }

            void CopyBytes(int n)
            {
                var buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                _bytes.AddRange(buffer);
            }
        }
        """);

    // Found in garnet (microsoft/garnet, MGetReadArgBatch.cs): a range of the rental's view kept in a field of the struct
    // is the rental kept there. A range of the array itself is a copy, so that rental still leaks.
    [Fact]
    public Task Range_of_a_view_kept_in_a_field_is_handed_on() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        struct Batch
        {
            private Memory<int> _running;
            private int[] _copy;

            void Start(int n)
            {
                var rented = ArrayPool<int>.Shared.Rent(n);
                _running = rented.AsMemory()[..n];
            }

            void Snapshot(int n)
            {
                var rented = {|PP0101:ArrayPool<int>.Shared.Rent(n)|};
                _copy = rented[..n];
            }
        }
        """);

    // Found in garnet's Tsavorite (DiskLogRecord.cs) built without one of its sources: a rental handed to a creation of
    // a type that does not bind may be kept by it, so it is not reported. The same rental dropped still is.
    [Fact]
    public Task Rental_given_to_a_creation_that_does_not_bind_is_not_judged() => V.AnalyzerAsync("""
        using System.Buffers;

        class Records
        {
            object Copy(int n)
            {
                var owner = MemoryPool<byte>.Shared.Rent(n);
                return new {|CS0246:Missing|}(owner, n);
            }

            int Drop(int n)
            {
                var owner = {|PP0101:MemoryPool<byte>.Shared.Rent(n)|};
                return owner.Memory.Length + {|CS0103:missing|};
            }
        }
        """);

    // Found in garnet (RangeIndexOps.cs): a grow callback rents a bigger buffer and keeps it in a variable of the method
    // around it, which gives it back later. The callback's own local dropped at its end still leaks.
    [Fact]
    public Task Rental_stored_by_a_lambda_or_local_function_in_a_captured_variable_is_handed_on() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        class Scanner
        {
            int Scan(int n, Func<Func<int, bool>, int> run)
            {
                IMemoryOwner<byte>? held = null;
                Func<int, bool> grow = size =>
                {
                    var bigger = MemoryPool<byte>.Shared.Rent(size);
                    held?.Dispose();
                    held = bigger;
                    return true;
                };
                var result = run(grow);
                held?.Dispose();
                return result;
            }

            int Local(int n)
            {
                IMemoryOwner<byte>? held = null;
                bool Grow(int size)
                {
                    var bigger = MemoryPool<byte>.Shared.Rent(size);
                    held?.Dispose();
                    held = bigger;
                    return true;
                }

                Grow(n);
                held?.Dispose();
                return n;
            }

            int Dropped(int n)
            {
                bool Probe(int size)
                {
                    var scratch = {|PP0101:MemoryPool<byte>.Shared.Rent(size)|};
                    return scratch.Memory.Length > 0;
                }

                return Probe(n) ? 1 : 0;
            }
        }
        """);

    // Found in dotnet/extensions (OSFileSystem.ReadAllByLines): the rental kept as a Memory<byte> is given back through
    // the array MemoryMarshal.TryGetArray recovers from it. When TryGetArray says no there is no array to give back.
    [Fact]
    public Task Rental_given_back_through_the_array_TryGetArray_recovers_is_no_leak() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;
        using System.Runtime.InteropServices;

        class Lines
        {
            int First(int n)
            {
                Memory<byte> buffer = ArrayPool<byte>.Shared.Rent(n);
                try
                {
                    return buffer.Span[0];
                }
                finally
                {
                    if (MemoryMarshal.TryGetArray(buffer, out ArraySegment<byte> segment) && segment.Array != null)
                    {
                        ArrayPool<byte>.Shared.Return(segment.Array);
                    }
                }
            }

            int Second(int n)
            {
                Memory<byte> buffer = ArrayPool<byte>.Shared.Rent(n);
                var first = buffer.Span[0];
                if (MemoryMarshal.TryGetArray<byte>(buffer, out var segment))
                {
                    ArrayPool<byte>.Shared.Return(segment.Array!);
                }

                return first;
            }

            int Looked(int n)
            {
                Memory<byte> buffer = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                return MemoryMarshal.TryGetArray<byte>(buffer, out var segment) ? segment.Count : 0;
            }
        }
        """);

    // Found in dotnet/extensions (HttpClientLogger): a pooled buffer handed to an interface of this compilation, whose
    // implementation keeps it in the record it fills. Which implementation runs is not known, so the rental is handed on;
    // an interface from a referenced library (IComparer<T>) still only borrows.
    [Fact]
    public Task Pooled_value_given_to_an_interface_member_of_this_compilation_is_handed_on() => V.AnalyzerAsync("""
        using System.Collections.Generic;
        using Microsoft.Extensions.ObjectPool;

        interface IReader
        {
            void Read(Record record, List<string>? headers);
        }

        sealed class Record
        {
            public List<string>? Headers;
        }

        sealed class Logger
        {
            private readonly ObjectPool<List<string>> _headers = ObjectPool.Create<List<string>>();
            private readonly IReader _reader;

            public Logger(IReader reader) => _reader = reader;

            public Record Start()
            {
                var record = new Record();
                var headers = _headers.Get();
                _reader.Read(record, headers);
                return record;
            }

            public int Compare(IComparer<List<string>> comparer)
            {
                var headers = {|PP0101:_headers.Get()|};
                return comparer.Compare(headers, headers);
            }
        }
        """);

    // ---- issue 13: hand-ons seen in real projects (orleans, MessagePack, Pipelines.Sockets.Unofficial) ----------

    [Fact]
    public Task Rental_passed_to_the_constructor_of_a_returned_owner_is_handed_on() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        sealed class Lease
        {
            private readonly ArrayPool<byte> _pool;

            public Lease(ArrayPool<byte> pool, Memory<byte> memory)
            {
                _pool = pool;
                Memory = memory;
            }

            public Memory<byte> Memory { get; }

            public static Lease Create(ArrayPool<byte> pool, int size)
            {
                var array = pool.Rent(size);
                return new Lease(pool, array);
            }
        }
        """);

    [Fact]
    public Task Rental_not_given_to_the_constructor_still_leaks() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;

        sealed class Lease
        {
            public Lease(ArrayPool<byte> pool, int size) { }

            public static Lease Create(ArrayPool<byte> pool, int size)
            {
                var array = {|PP0101:pool.Rent(size)|};
                array[0] = 1;
                return new Lease(pool, size);
            }
        }
        """);

    [Fact]
    public Task Rental_copied_into_a_new_string_still_leaks() => V.AnalyzerAsync("""
        using System.Buffers;

        class Names
        {
            string Make(int n)
            {
                var chars = {|PP0101:ArrayPool<char>.Shared.Rent(n)|};
                return new string(chars, 0, n);
            }
        }
        """);

    [Fact]
    public Task Pooled_segment_inside_a_returned_sequence_is_handed_on() => V.AnalyzerAsync("""
        using System;
        using System.Buffers;
        using Microsoft.Extensions.ObjectPool;

        sealed class Segment : ReadOnlySequenceSegment<byte>
        {
            public static readonly ObjectPool<Segment> Pool = ObjectPool.Create<Segment>();

            public void Initialize(ReadOnlyMemory<byte> memory) => Memory = memory;
        }

        static class Sequences
        {
            public static ReadOnlySequence<byte> One(byte[] data)
            {
                var segment = Segment.Pool.Get();
                segment.Initialize(data);
                return new ReadOnlySequence<byte>(segment, 0, segment, data.Length);
            }
        }
        """);

    [Fact]
    public Task Pooled_node_linked_by_a_source_method_that_stores_it_is_handed_on() => V.AnalyzerAsync("""
        using Microsoft.Extensions.ObjectPool;

        sealed class Node
        {
            public static readonly ObjectPool<Node> Pool = ObjectPool.Create<Node>();
            public Node? Next { get; private set; }
            public void SetNext(Node next) => Next = next;

            public static Node? Build(int n)
            {
                Node? first = null;
                Node? previous = null;
                for (var i = 0; i < n; i++)
                {
                    var node = Pool.Get();
                    previous?.SetNext(node);
                    first ??= node;
                    previous = node;
                }

                return first;
            }
        }
        """);

    // A fuzz mutant of the test above: out of a loop, `first ??= node` keeps the node on the paths where first was null,
    // and the return hands on what first may hold. The engine counts that as handed on; the proof must not say otherwise.
    [Fact]
    public Task Pooled_node_kept_through_a_coalescing_assignment_and_returned_is_handed_on() => V.AnalyzerAsync("""
        using Microsoft.Extensions.ObjectPool;

        sealed class Node
        {
            public static readonly ObjectPool<Node> Pool = ObjectPool.Create<Node>();

            public static Node? First(Node? first)
            {
                var node = Pool.Get();
                first ??= node;
                return first;
            }
        }
        """);

    [Fact]
    public Task Pooled_node_passed_to_a_source_method_that_only_reads_it_still_leaks() => V.AnalyzerAsync("""
        using Microsoft.Extensions.ObjectPool;

        sealed class Node
        {
            public static readonly ObjectPool<Node> Pool = ObjectPool.Create<Node>();
            public int Depth { get; private set; }
            public void Follow(Node other) => Depth = other.Depth + 1;

            public int Build(Node start)
            {
                var node = {|PP0101:Pool.Get()|};
                start?.Follow(node);
                return node.Depth;
            }
        }
        """);

    [Fact]
    public Task Pooled_work_item_queued_to_the_thread_pool_is_handed_on() => V.AnalyzerAsync("""
        using System.Threading;
        using Microsoft.Extensions.ObjectPool;

        sealed class Receiver
        {
            private static readonly ObjectPool<Handler> Pool = ObjectPool.Create<Handler>();

            public void OnMessage(string message)
            {
                var handler = Pool.Get();
                handler.Message = message;
                ThreadPool.UnsafeQueueUserWorkItem(handler, preferLocal: true);
            }

            public sealed class Handler : IThreadPoolWorkItem
            {
                public string? Message { get; set; }

                public void Execute()
                {
                    Message = null;
                    Pool.Return(this);
                }
            }
        }
        """);

    [Fact]
    public Task Pooled_work_item_that_is_never_queued_still_leaks() => V.AnalyzerAsync("""
        using System.Threading;
        using Microsoft.Extensions.ObjectPool;

        sealed class Receiver
        {
            private static readonly ObjectPool<Handler> Pool = ObjectPool.Create<Handler>();

            public void OnMessage(string message)
            {
                var handler = {|PP0101:Pool.Get()|};
                handler.Message = message;
                handler.Execute();
            }

            public sealed class Handler : IThreadPoolWorkItem
            {
                public string? Message { get; set; }

                public void Execute() => Message = null;
            }
        }
        """);

    [Fact]
    public Task Rental_given_to_an_async_local_function_that_gives_it_back_is_handed_on() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.IO;
        using System.Threading.Tasks;

        static class Reads
        {
            public static ValueTask<int> Read(Stream stream, int n)
            {
                var shared = ArrayPool<byte>.Shared.Rent(n);
                return Finish(stream.ReadAsync(shared, 0, n), shared);

                static async ValueTask<int> Finish(Task<int> read, byte[] local)
                {
                    try
                    {
                        return await read.ConfigureAwait(false);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(local);
                    }
                }
            }
        }
        """);

    [Fact]
    public Task Rental_not_given_to_the_async_local_function_still_leaks() => V.AnalyzerAsync("""
        using System.Buffers;
        using System.IO;
        using System.Threading.Tasks;

        static class Reads
        {
            public static ValueTask<int> Read(Stream stream, int n)
            {
                var shared = {|PP0101:ArrayPool<byte>.Shared.Rent(n)|};
                return Finish(stream, shared.Length);

                static async ValueTask<int> Finish(Stream source, int length) => await source.ReadAsync(new byte[length], 0, length).ConfigureAwait(false);
            }
        }
        """);
}
