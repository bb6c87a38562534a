using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PoolRules.Analyzers.Napi;

/// <summary>
/// The calls that can block a thread: sleeping, waiting on a task or a synchronization primitive, taking a
/// blocking lock, synchronous file and socket I/O, and a page allocation that may block. Symbols are resolved once,
/// when the compilation starts.
/// </summary>
internal sealed class BlockingCalls
{
    private const int MayBlock = 1;

    private readonly KnownSymbols _known;
    private readonly INamedTypeSymbol? _thread;
    private readonly INamedTypeSymbol? _monitor;
    private readonly INamedTypeSymbol? _task;
    private readonly INamedTypeSymbol? _taskOfT;
    private readonly INamedTypeSymbol? _valueTaskOfT;
    private readonly INamedTypeSymbol? _waitHandle;
    private readonly INamedTypeSymbol? _semaphoreSlim;
    private readonly INamedTypeSymbol? _manualResetEventSlim;
    private readonly INamedTypeSymbol? _countdownEvent;
    private readonly INamedTypeSymbol? _barrier;
    private readonly INamedTypeSymbol? _readerWriterLockSlim;
    private readonly INamedTypeSymbol? _file;
    private readonly INamedTypeSymbol? _fileStream;
    private readonly INamedTypeSymbol? _networkStream;
    private readonly INamedTypeSymbol? _socket;
    private readonly INamedTypeSymbol? _udpClient;
    private readonly INamedTypeSymbol? _tcpClient;
    private readonly INamedTypeSymbol? _tcpListener;

    public BlockingCalls(KnownSymbols known)
    {
        _known = known;
        var compilation = known.Compilation;
        _thread = compilation.GetTypeByMetadataName("System.Threading.Thread");
        _monitor = compilation.GetTypeByMetadataName("System.Threading.Monitor");
        _task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        _taskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        _valueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        _waitHandle = compilation.GetTypeByMetadataName("System.Threading.WaitHandle");
        _semaphoreSlim = compilation.GetTypeByMetadataName("System.Threading.SemaphoreSlim");
        _manualResetEventSlim = compilation.GetTypeByMetadataName("System.Threading.ManualResetEventSlim");
        _countdownEvent = compilation.GetTypeByMetadataName("System.Threading.CountdownEvent");
        _barrier = compilation.GetTypeByMetadataName("System.Threading.Barrier");
        _readerWriterLockSlim = compilation.GetTypeByMetadataName("System.Threading.ReaderWriterLockSlim");
        _file = compilation.GetTypeByMetadataName("System.IO.File");
        _fileStream = compilation.GetTypeByMetadataName("System.IO.FileStream");
        _networkStream = compilation.GetTypeByMetadataName("System.Net.Sockets.NetworkStream");
        _socket = compilation.GetTypeByMetadataName("System.Net.Sockets.Socket");
        _udpClient = compilation.GetTypeByMetadataName("System.Net.Sockets.UdpClient");
        _tcpClient = compilation.GetTypeByMetadataName("System.Net.Sockets.TcpClient");
        _tcpListener = compilation.GetTypeByMetadataName("System.Net.Sockets.TcpListener");
    }

    /// <summary>How a diagnostic names the blocking call, e.g. "'Thread.Sleep'"; null when the call does not block.</summary>
    public string? Describe(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType?.OriginalDefinition;
        if (type is null || method.Name.EndsWith("Async", StringComparison.Ordinal))
        {
            return null;
        }

        var name = method.Name;
        if (Is(type, _known.PagePool))
        {
            return name == "AllocPages" && invocation.Arguments.Length == 1
                && LocalConstants.TryGet(invocation.Arguments[0].Value, out var flags) && flags is int value && (value & MayBlock) != 0
                ? "'AllocPages' with AllocFlags.MayBlock"
                : null;
        }

        var blocks =
            Is(type, _thread) && name is "Sleep" or "Join"
            || Is(type, _monitor) && name is "Enter" or "Wait"
            || Is(type, _task) && name is "Wait" or "WaitAll" or "WaitAny"
            || Is(type, _semaphoreSlim) && name == "Wait"
            || Is(type, _manualResetEventSlim) && name == "Wait"
            || Is(type, _countdownEvent) && name == "Wait"
            || Is(type, _barrier) && name == "SignalAndWait"
            || Is(type, _readerWriterLockSlim) && name is "EnterReadLock" or "EnterWriteLock" or "EnterUpgradeableReadLock"
            || DerivesFrom(type, _waitHandle) && name is "WaitOne" or "WaitAll" or "WaitAny" or "SignalAndWait"
            || IsAwaiterGetResult(type, name)
            || Is(type, _file) && IsFileIo(name)
            || (Is(type, _socket) || Is(type, _udpClient) || Is(type, _tcpClient) || Is(type, _tcpListener)) && IsSocketIo(name)
            || IsStreamIo(invocation, name);
        return blocks ? $"'{type.Name}.{name}'" : null;
    }

    /// <summary>How a diagnostic names a blocking property read (<c>Task&lt;T&gt;.Result</c>); null when it does not block.</summary>
    public string? Describe(IPropertyReferenceOperation property)
    {
        var type = property.Property.ContainingType?.OriginalDefinition;
        return property.Property.Name == "Result" && (Is(type, _taskOfT) || Is(type, _valueTaskOfT))
            ? $"'{type!.Name}.Result'"
            : null;
    }

    private static bool IsAwaiterGetResult(INamedTypeSymbol type, string name) =>
        name == "GetResult"
        && type.Name.EndsWith("Awaiter", StringComparison.Ordinal)
        && type.ContainingNamespace?.ToDisplayString() is "System.Runtime.CompilerServices";

    private static bool IsFileIo(string name) =>
        name.StartsWith("Read", StringComparison.Ordinal)
        || name.StartsWith("Write", StringComparison.Ordinal)
        || name.StartsWith("Append", StringComparison.Ordinal)
        || name.StartsWith("Open", StringComparison.Ordinal)
        || name.StartsWith("Create", StringComparison.Ordinal)
        || name is "Copy" or "Move" or "Delete" or "Replace";

    private static bool IsSocketIo(string name) =>
        name.StartsWith("Receive", StringComparison.Ordinal)
        || name.StartsWith("Send", StringComparison.Ordinal)
        || name.StartsWith("Accept", StringComparison.Ordinal)
        || name is "Connect" or "Disconnect" or "Select";

    /// <summary>Synchronous reads and writes where the stream is statically a FileStream or NetworkStream.</summary>
    private bool IsStreamIo(IInvocationOperation invocation, string name)
    {
        if (name is not ("Read" or "Write" or "ReadByte" or "WriteByte" or "Flush" or "CopyTo" or "ReadExactly" or "ReadAtLeast"))
        {
            return false;
        }

        var receiver = invocation.Instance;
        while (receiver is IConversionOperation { Operand: var operand })
        {
            receiver = operand;
        }

        return receiver?.Type is INamedTypeSymbol streamType && (DerivesFrom(streamType, _fileStream) || DerivesFrom(streamType, _networkStream));
    }

    private static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected) =>
        expected is not null && SymbolEqualityComparer.Default.Equals(type, expected);

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol? expected)
    {
        if (expected is null)
        {
            return false;
        }

        for (INamedTypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, expected))
            {
                return true;
            }
        }

        return false;
    }
}
