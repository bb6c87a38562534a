// Origin: Sergio0694/ComputeSharp 745f23a3a1b8d2fb18a32727c6f5bd2135fee29e ("Add missing ArrayPool<byte>.Return-s in D2D1ShaderCompiler")
// Bug: two arrays are rented to hold ASCII copies of the source and entry point, and the result of the inner call is returned directly, so neither goes back.
#nullable enable
using System;
using System.Buffers;
using System.Text;

namespace NetPoolCorpus.ComputeSharpShaderCompilerAscii;

public sealed class Buggy
{
    public static byte[] Compile(string source, string entryPoint)
    {
        byte[] sourceBytes = ArrayPool<byte>.Shared.Rent(Encoding.ASCII.GetMaxByteCount(source.Length)); // expect: PP0101
        int sourceLength = Encoding.ASCII.GetBytes(source, sourceBytes);

        byte[] entryBytes = ArrayPool<byte>.Shared.Rent(Encoding.ASCII.GetMaxByteCount(entryPoint.Length)); // expect: PP0101
        int entryLength = Encoding.ASCII.GetBytes(entryPoint, entryBytes);

        return CompileAscii(sourceBytes.AsSpan(0, sourceLength), entryBytes.AsSpan(0, entryLength));
    }

    private static byte[] CompileAscii(ReadOnlySpan<byte> source, ReadOnlySpan<byte> entryPoint)
    {
        var bytecode = new byte[source.Length + entryPoint.Length];
        source.CopyTo(bytecode);
        entryPoint.CopyTo(bytecode.AsSpan(source.Length));
        return bytecode;
    }
}

public sealed class Fixed
{
    public static byte[] Compile(string source, string entryPoint)
    {
        byte[] sourceBytes = ArrayPool<byte>.Shared.Rent(Encoding.ASCII.GetMaxByteCount(source.Length));
        int sourceLength = Encoding.ASCII.GetBytes(source, sourceBytes);

        byte[] entryBytes = ArrayPool<byte>.Shared.Rent(Encoding.ASCII.GetMaxByteCount(entryPoint.Length));
        int entryLength = Encoding.ASCII.GetBytes(entryPoint, entryBytes);

        // The result is a fresh array, so both scratch copies can go back before returning it.
        byte[] bytecode = CompileAscii(sourceBytes.AsSpan(0, sourceLength), entryBytes.AsSpan(0, entryLength));
        ArrayPool<byte>.Shared.Return(sourceBytes);
        ArrayPool<byte>.Shared.Return(entryBytes);
        return bytecode;
    }

    private static byte[] CompileAscii(ReadOnlySpan<byte> source, ReadOnlySpan<byte> entryPoint)
    {
        var bytecode = new byte[source.Length + entryPoint.Length];
        source.CopyTo(bytecode);
        entryPoint.CopyTo(bytecode.AsSpan(source.Length));
        return bytecode;
    }
}
