using System.Threading.Tasks;
using Xunit;
using V = PoolRules.Analyzers.Tests.Verify<PoolRules.Analyzers.PP0105PooledFieldGivenBackTwiceAnalyzer>;

namespace PoolRules.Analyzers.Tests;

public sealed class PP0105PooledFieldGivenBackTwiceTests
{
    // ---- a second call gives the same value back -----------------------------------------------------------------

    [Fact]
    public Task Dispose_that_returns_the_field_without_clearing_it_names_method_and_field() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Frame : IDisposable
        {
            private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1024);

            public void Dispose()
            {
                {|#0:ArrayPool<byte>.Shared.Return(_buffer)|};
            }
        }
        """,
        V.Diagnostic("PP0105").WithLocation(0).WithArguments("Dispose()", "_buffer"));

    [Fact]
    public Task Guard_set_but_never_checked_is_no_guard() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Message : IDisposable
        {
            private static readonly ArrayPool<byte> s_pool = ArrayPool<byte>.Create(4096, 64);
            private readonly byte[] _buffer;
            private bool _disposed;

            public Message(int length) => _buffer = s_pool.Rent(length);

            public bool IsDisposed => _disposed;

            public void Dispose() => Dispose(true);

            private void Dispose(bool disposing)
            {
                if (disposing)
                {
                    _disposed = true;
                    {|#0:s_pool.Return(_buffer)|};
                }
            }
        }
        """,
        V.Diagnostic("PP0105").WithLocation(0).WithArguments("Dispose(bool)", "_buffer"));

    [Fact]
    public Task Guard_checked_on_entry_but_set_on_only_one_path() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Decoder : IDisposable
        {
            private readonly byte[] _input = ArrayPool<byte>.Shared.Rent(4096);
            private readonly bool _keep;
            private IDisposable? _inner;

            public Decoder(IDisposable inner, bool keep) { _inner = inner; _keep = keep; }

            public int Capacity => _input.Length;

            public void Dispose()
            {
                if (_inner == null)
                {
                    return;
                }

                if (!_keep)
                {
                    _inner.Dispose();
                    _inner = null;
                }

                {|PP0105:ArrayPool<byte>.Shared.Return(_input)|};
            }
        }
        """);

    [Fact]
    public Task Reset_that_returns_without_clearing_while_Dispose_clears() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class PropertyList : IDisposable
        {
            private char[]? _chars = ArrayPool<char>.Shared.Rent(256);

            public void Reset()
            {
                {|#0:ArrayPool<char>.Shared.Return(_chars!)|};
            }

            public void Dispose()
            {
                ArrayPool<char>.Shared.Return(_chars!);
                _chars = null;
            }
        }
        """,
        V.Diagnostic("PP0105").WithLocation(0).WithArguments("Reset()", "_chars"));

    [Fact]
    public Task Null_check_without_clear_still_gives_back_twice() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Builder
        {
            private char[]? _chars;

            public void Grow(int length) => _chars = ArrayPool<char>.Shared.Rent(length);

            public void Clear()
            {
                if (_chars != null)
                {
                    {|PP0105:ArrayPool<char>.Shared.Return(_chars)|};
                }
            }
        }
        """);

    [Fact]
    public Task Guard_checked_only_after_the_give_back_does_not_protect_it() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Frame : IDisposable
        {
            private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1024);
            private bool _disposed;

            public void Dispose()
            {
                {|PP0105:ArrayPool<byte>.Shared.Return(_buffer)|};
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
            }
        }
        """);

    [Fact]
    public Task Finalizer_and_a_copy_in_a_local_and_a_rental_stored_through_a_local() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Scratch
        {
            private readonly ArrayPool<int> _pool = ArrayPool<int>.Create();
            private int[] _items;

            public Scratch(int length)
            {
                var rented = _pool.Rent(length);
                _items = rented;
            }

            ~Scratch()
            {
                var items = _items;
                {|#0:_pool.Return(items)|};
            }
        }
        """,
        V.Diagnostic("PP0105").WithLocation(0).WithArguments("~Scratch()", "_items"));

    [Fact]
    public Task Memory_owner_disposed_without_clearing() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Segment : IDisposable
        {
            private IMemoryOwner<byte>? _owner = MemoryPool<byte>.Shared.Rent(4096);
            private IMemoryOwner<byte> _other = MemoryPool<byte>.Shared.Rent(4096);

            public void Dispose()
            {
                {|PP0105:_owner?.Dispose()|};
                {|PP0105:_other.Dispose()|};
            }
        }
        """);

    [Fact]
    public Task Object_pool_value_returned_without_clearing() => V.AnalyzerAsync("""
        using System.Text;
        using Microsoft.Extensions.ObjectPool;

        sealed class Formatter : IDisposable
        {
            private readonly ObjectPool<StringBuilder> _pool;
            private readonly StringBuilder _builder;

            public Formatter(ObjectPool<StringBuilder> pool)
            {
                _pool = pool;
                _builder = pool.Get();
            }

            public void Dispose() => {|PP0105:_pool.Return(_builder)|};
        }
        """);

    [Fact]
    public Task A_pool_of_its_own_derived_from_ArrayPool() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class LocalPool<T> : ArrayPool<T>
        {
            public static readonly LocalPool<T> Shared = new();
            public override T[] Rent(int minimumLength) => new T[minimumLength];
            public override void Return(T[] array, bool clearArray = false) { }
        }

        sealed class Writer : IDisposable
        {
            private char[] _chars = LocalPool<char>.Shared.Rent(64);

            public void Dispose() => {|PP0105:LocalPool<char>.Shared.Return(_chars)|};
        }
        """);

    // ---- correct code ---------------------------------------------------------------------------------------------

    [Fact]
    public Task Clearing_the_field_after_the_give_back() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Frame : IDisposable
        {
            private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(1024);

            public void Dispose()
            {
                if (_buffer is { } buffer)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                _buffer = null;
            }

            ~Frame()
            {
                ArrayPool<byte>.Shared.Return(_buffer!);
                _buffer = null;
            }
        }
        """);

    [Fact]
    public Task Clearing_before_the_give_back_through_a_local() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Frame : IDisposable
        {
            private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(1024);

            public void Dispose()
            {
                var buffer = _buffer;
                _buffer = null;
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        """);

    [Fact]
    public Task Disposed_flag_checked_on_entry_and_set() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Message : IDisposable
        {
            private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(512);
            private bool _disposed;

            public int Length => _buffer.Length;

            public void Dispose() => Dispose(true);

            private void Dispose(bool disposing)
            {
                if (disposing)
                {
                    if (_disposed)
                    {
                        return;
                    }

                    ArrayPool<byte>.Shared.Return(_buffer);
                    _disposed = true;
                }
            }

            public void Reset()
            {
                if (!_disposed)
                {
                    _disposed = true;
                    ArrayPool<byte>.Shared.Return(_buffer);
                }
            }
        }
        """);

    [Fact]
    public Task Guard_set_on_every_path_before_the_give_back() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Decoder : IDisposable
        {
            private readonly byte[] _input = ArrayPool<byte>.Shared.Rent(4096);
            private readonly bool _keep;
            private IDisposable? _inner;

            public Decoder(IDisposable inner, bool keep) { _inner = inner; _keep = keep; }

            public int Capacity => _input.Length;

            public void Dispose()
            {
                if (_inner == null)
                {
                    return;
                }

                if (!_keep)
                {
                    _inner.Dispose();
                }

                _inner = null;
                ArrayPool<byte>.Shared.Return(_input);
            }
        }
        """);

    [Fact]
    public Task Interlocked_exchange_of_the_field_or_of_a_flag() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Frame : IDisposable
        {
            private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(1024);
            private readonly byte[] _header = ArrayPool<byte>.Shared.Rent(64);
            private int _disposed;

            public int HeaderLength => _header.Length;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            public void Clear()
            {
                if (Interlocked.Exchange(ref _disposed, 1) != 0)
                {
                    return;
                }

                ArrayPool<byte>.Shared.Return(_header);
            }
        }
        """);

    [Fact]
    public Task Clear_in_finally_state_enum_guard_and_auto_property_guard() => V.AnalyzerAsync("""
        using System.Buffers;

        enum State { Open, Closed }

        sealed class Frame : IDisposable
        {
            private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(1024);
            private readonly byte[] _a = ArrayPool<byte>.Shared.Rent(64);
            private readonly byte[] _b = ArrayPool<byte>.Shared.Rent(64);
            private State _state;

            public bool IsReset { get; private set; }

            public int Lengths => _a.Length + _b.Length;

            public void Dispose()
            {
                try
                {
                    ArrayPool<byte>.Shared.Return(_buffer!);
                }
                finally
                {
                    _buffer = null;
                }

                if (_state == State.Closed)
                {
                    return;
                }

                _state = State.Closed;
                ArrayPool<byte>.Shared.Return(_a);
            }

            public void Reset()
            {
                if (IsReset)
                {
                    return;
                }

                ArrayPool<byte>.Shared.Return(_b);
                IsReset = true;
            }
        }
        """);

    [Fact]
    public Task A_helper_that_clears_the_field_and_a_re_rent() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Builder : IDisposable
        {
            private char[]? _chars = ArrayPool<char>.Shared.Rent(16);

            public void Dispose()
            {
                ArrayPool<char>.Shared.Return(_chars!);
                Forget();
            }

            public void Reset()
            {
                ArrayPool<char>.Shared.Return(_chars!);
                _chars = ArrayPool<char>.Shared.Rent(16);
            }

            private void Forget() => _chars = null;
        }
        """);

    [Fact]
    public Task Not_a_pooled_field_or_not_a_method_that_runs_twice() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Lease : IDisposable
        {
            private readonly byte[] _given;
            private byte[] _rented = ArrayPool<byte>.Shared.Rent(64);

            // Rented by the caller, who decides; this type never took it from a pool.
            public Lease(byte[] given) => _given = given;

            public void Dispose() => ArrayPool<byte>.Shared.Return(_given);

            // Release is not one of the methods that can run twice by contract.
            public void Release() => ArrayPool<byte>.Shared.Return(_rented);
        }
        """);

    [Fact]
    public Task Guard_set_to_the_value_that_still_passes_its_check() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Frame : IDisposable
        {
            private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(1024);
            private bool _open = true;

            public int Length => _buffer.Length;

            public void Dispose()
            {
                if (_open)
                {
                    {|PP0105:ArrayPool<byte>.Shared.Return(_buffer)|};
                    _open = true;
                }
            }
        }
        """);

    // CommunityToolkit.HighPerformance's SpanOwner<T> and CommunityToolkit.Mvvm's ArrayPoolBufferWriter<T>: a readonly
    // Dispose cannot clear the field or set a guard, so its type is made to be disposed once. A mutable struct's Dispose
    // that could clear the field and does not is still reported.
    [Fact]
    public Task Readonly_dispose_of_a_struct_is_not_judged() => V.AnalyzerAsync("""
        using System.Buffers;

        readonly ref struct Owner
        {
            private readonly ArrayPool<byte> _pool;
            private readonly byte[] _array;

            public Owner(ArrayPool<byte> pool, int n)
            {
                _pool = pool;
                _array = pool.Rent(n);
            }

            public void Dispose() => _pool.Return(_array);
        }

        ref struct Writer
        {
            private byte[] _array;
            private int _index;

            public Writer(int n) => _array = ArrayPool<byte>.Shared.Rent(n);

            public void Add(byte b) => _array[_index++] = b;

            public readonly void Dispose() => ArrayPool<byte>.Shared.Return(_array);
        }

        ref struct Leaky
        {
            private byte[] _array;

            public Leaky(int n) => _array = ArrayPool<byte>.Shared.Rent(n);

            public void Dispose() => {|PP0105:ArrayPool<byte>.Shared.Return(_array)|};
        }
        """);

    [Fact]
    public Task Struct_dispose_that_clears_itself_with_this_default() => V.AnalyzerAsync("""
        using System.Buffers;

        ref struct ValueBuilder
        {
            private char[]? _arrayToReturnToPool;
            private Span<char> _chars;

            public ValueBuilder(int capacity)
            {
                _arrayToReturnToPool = ArrayPool<char>.Shared.Rent(capacity);
                _chars = _arrayToReturnToPool;
            }

            public int Capacity => _chars.Length;

            public void Dispose()
            {
                char[]? toReturn = _arrayToReturnToPool;
                this = default;
                if (toReturn != null)
                {
                    ArrayPool<char>.Shared.Return(toReturn);
                }
            }
        }
        """);

    [Fact]
    public Task Guards_checked_by_a_helper_by_a_throw_helper_by_a_comparison_or_through_a_local() => V.AnalyzerAsync("""
        using System.Buffers;

        sealed class Frame : IDisposable
        {
            private readonly byte[] _a = ArrayPool<byte>.Shared.Rent(64);
            private readonly byte[] _b = ArrayPool<byte>.Shared.Rent(64);
            private readonly byte[] _c = ArrayPool<byte>.Shared.Rent(64);
            private readonly byte[] _d = ArrayPool<byte>.Shared.Rent(64);
            private bool _disposed;
            private bool _reset;
            private int _size;
            private bool _cleared;

            public int Lengths => _a.Length + _b.Length + _c.Length + _d.Length;

            public void Dispose()
            {
                ThrowIfDisposed();
                _disposed = true;
                ArrayPool<byte>.Shared.Return(_a);
            }

            public void Reset()
            {
                ObjectDisposedException.ThrowIf(_reset, this);
                _reset = true;
                ArrayPool<byte>.Shared.Return(_b);
            }

            public void Clear()
            {
                if (_size > 0)
                {
                    ArrayPool<byte>.Shared.Return(_c);
                    _size = 0;
                }
            }

            public void Dispose(bool disposing)
            {
                var wasCleared = _cleared;
                _cleared = true;
                if (wasCleared || !disposing)
                {
                    return;
                }

                ArrayPool<byte>.Shared.Return(_d);
            }

            private void ThrowIfDisposed()
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(Frame));
                }
            }
        }
        """);
}
