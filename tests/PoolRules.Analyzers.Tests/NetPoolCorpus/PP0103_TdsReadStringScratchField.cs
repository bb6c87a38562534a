// Origin: dotnet/corefx b14191723f75d3c3555184195def09335fc13d02 (https://github.com/dotnet/corefx/pull/37270)
// Bug: the string reader rents its growth buffer straight into the reusable scratch field, returns it after decoding, and keeps the field pointing at it, so later reads write into an array the pool has handed to someone else.
#nullable enable
using System;
using System.Buffers;
using System.Text;

namespace NetPoolCorpus.TdsReadStringScratchField;

public sealed class Buggy
{
    private byte[]? _scratch;

    public string ReadString(Func<byte[], int, bool> fill, int byteCount)
    {
        bool rented = false;
        if (_scratch == null || _scratch.Length < byteCount)
        {
            _scratch = ArrayPool<byte>.Shared.Rent(byteCount);
            rented = true;
        }

        if (!fill(_scratch, byteCount))
        {
            return string.Empty;
        }

        string value = Encoding.Unicode.GetString(_scratch, 0, byteCount);
        if (rented)
        {
            ArrayPool<byte>.Shared.Return(_scratch, clearArray: true); // expect: PP0103
        }

        return value;
    }
}

public sealed class Fixed
{
    private byte[]? _scratch;

    public string ReadString(Func<byte[], int, bool> fill, int byteCount)
    {
        // The scratch field only ever holds an array this object owns for its whole life.
        if (_scratch == null || _scratch.Length < byteCount)
        {
            _scratch = new byte[byteCount];
        }

        if (!fill(_scratch, byteCount))
        {
            return string.Empty;
        }

        return Encoding.Unicode.GetString(_scratch, 0, byteCount);
    }
}
