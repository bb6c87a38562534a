using System.Threading.Tasks;
using Xunit;
using Verify = PoolRules.CodeFixes.Tests.VerifyFix<PoolRules.Analyzers.PP0105PooledFieldGivenBackTwiceAnalyzer, PoolRules.CodeFixes.PP0105ClearFieldBeforeGiveBackCodeFix>;

namespace PoolRules.CodeFixes.Tests;

public class PP0105ClearFieldBeforeGiveBackCodeFixTests
{
    [Fact]
    public Task Return_of_the_field_goes_through_a_local_after_the_field_is_cleared()
    {
        const string source = """
            using System.Buffers;

            sealed class Frame : IDisposable
            {
                private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(1024);

                public void Dispose()
                {
                    Console.WriteLine("closing");
                    {|PP0105:ArrayPool<byte>.Shared.Return(_buffer!, clearArray: true)|};
                }
            }
            """;
        const string fixedSource = """
            using System.Buffers;

            sealed class Frame : IDisposable
            {
                private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(1024);

                public void Dispose()
                {
                    Console.WriteLine("closing");
                    var buffer = _buffer;
                    _buffer = null;
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task A_readonly_non_nullable_field_becomes_assignable_and_nullable()
    {
        const string source = """
            using System.Buffers;

            sealed class Frame : IDisposable
            {
                private static readonly ArrayPool<byte> s_pool = ArrayPool<byte>.Create();
                private readonly byte[] _buffer;

                public Frame(int length) => _buffer = s_pool.Rent(length);

                public void Dispose() => {|PP0105:s_pool.Return(_buffer)|};
            }
            """;
        const string fixedSource = """
            using System.Buffers;

            sealed class Frame : IDisposable
            {
                private static readonly ArrayPool<byte> s_pool = ArrayPool<byte>.Create();
                private byte[]? _buffer;

                public Frame(int length) => _buffer = s_pool.Rent(length);

                public void Dispose()
                {
                    var buffer = _buffer;
                    _buffer = null;
                    if (buffer is not null)
                    {
                        s_pool.Return(buffer);
                    }
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task A_memory_owner_is_disposed_through_the_local()
    {
        const string source = """
            using System.Buffers;

            sealed class Segment : IDisposable
            {
                private IMemoryOwner<byte>? _owner = MemoryPool<byte>.Shared.Rent(4096);

                public void Reset()
                {
                    if (_owner != null)
                        {|PP0105:_owner.Dispose()|};
                }

                public void Dispose()
                {
                    {|PP0105:_owner?.Dispose()|};
                }
            }
            """;
        const string fixedSource = """
            using System.Buffers;

            sealed class Segment : IDisposable
            {
                private IMemoryOwner<byte>? _owner = MemoryPool<byte>.Shared.Rent(4096);

                public void Reset()
                {
                    if (_owner != null)
                    {
                        var owner = _owner;
                        _owner = null;
                        owner?.Dispose();
                    }
                }

                public void Dispose()
                {
                    var owner = _owner;
                    _owner = null;
                    owner?.Dispose();
                }
            }
            """;
        return Verify.FixAsync(source, fixedSource);
    }

    [Fact]
    public Task A_give_back_through_a_local_copy_gets_no_fix()
    {
        const string source = """
            using System.Buffers;

            sealed class Frame : IDisposable
            {
                private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(1024);

                public void Dispose()
                {
                    var buffer = _buffer!;
                    {|PP0105:ArrayPool<byte>.Shared.Return(buffer)|};
                }
            }
            """;
        return Verify.FixAsync(source, source);
    }

    [Fact]
    public Task Fix_all_clears_every_field_in_every_document()
    {
        const string first = """
            using System.Buffers;

            sealed class Frame : IDisposable
            {
                private byte[]? _head = ArrayPool<byte>.Shared.Rent(64);
                private byte[]? _body = ArrayPool<byte>.Shared.Rent(4096);

                public void Dispose()
                {
                    {|PP0105:ArrayPool<byte>.Shared.Return(_head!)|};
                    {|PP0105:ArrayPool<byte>.Shared.Return(_body!)|};
                }
            }
            """;
        const string firstFixed = """
            using System.Buffers;

            sealed class Frame : IDisposable
            {
                private byte[]? _head = ArrayPool<byte>.Shared.Rent(64);
                private byte[]? _body = ArrayPool<byte>.Shared.Rent(4096);

                public void Dispose()
                {
                    var head = _head;
                    _head = null;
                    if (head is not null)
                    {
                        ArrayPool<byte>.Shared.Return(head);
                    }

                    var body = _body;
                    _body = null;
                    if (body is not null)
                    {
                        ArrayPool<byte>.Shared.Return(body);
                    }
                }
            }
            """;
        const string second = """
            using System.Buffers;

            sealed class Scratch
            {
                private char[]? _chars = ArrayPool<char>.Shared.Rent(256);

                public void Clear()
                {
                    {|PP0105:ArrayPool<char>.Shared.Return(this._chars!)|};
                }
            }
            """;
        const string secondFixed = """
            using System.Buffers;

            sealed class Scratch
            {
                private char[]? _chars = ArrayPool<char>.Shared.Rent(256);

                public void Clear()
                {
                    var chars = this._chars;
                    this._chars = null;
                    if (chars is not null)
                    {
                        ArrayPool<char>.Shared.Return(chars);
                    }
                }
            }
            """;
        return Verify.FixAllAsync([(first, firstFixed), (second, secondFixed)]);
    }
}
