// Origin: npgsql/npgsql 118ef5a001383507ef9f9dc0e5bb66841b0f02b5 ("Fix cache bleed", on the branch squash-merged as https://github.com/npgsql/npgsql/pull/5123)
// Bug: when the last result set is consumed the data reader gives its per-column cache back to the pool but keeps the field pointing at it, so the reused reader's next command clears or regrows an array another renter now holds.
#nullable enable
using System;
using System.Buffers;
using System.Collections.Generic;

namespace NetPoolCorpus.NpgsqlColumnInfoCacheBleed;

public struct ColumnInfo
{
    public Type? FieldType;
    public int Oid;
}

public sealed class Buggy
{
    private readonly List<int> _columnCounts = new();
    private ColumnInfo[]? _columnInfoCache;
    private int _statementIndex = -1;

    // The connector reuses one reader for every command it runs.
    public void Start(IEnumerable<int> columnCountPerStatement)
    {
        _columnCounts.Clear();
        _columnCounts.AddRange(columnCountPerStatement);
        _statementIndex = -1;
    }

    public bool NextResult()
    {
        for (_statementIndex++; _statementIndex < _columnCounts.Count; _statementIndex++)
        {
            int columns = _columnCounts[_statementIndex];
            if (columns == 0)
            {
                continue;
            }

            if (_columnInfoCache?.Length >= columns)
            {
                Array.Clear(_columnInfoCache, 0, _columnInfoCache.Length);
            }
            else
            {
                if (_columnInfoCache is not null)
                {
                    ArrayPool<ColumnInfo>.Shared.Return(_columnInfoCache);
                }

                _columnInfoCache = ArrayPool<ColumnInfo>.Shared.Rent(columns);
            }

            return true;
        }

        if (_columnInfoCache is not null)
        {
            ArrayPool<ColumnInfo>.Shared.Return(_columnInfoCache); // expect: PP0103
        }

        return false;
    }
}

public sealed class Fixed
{
    private readonly List<int> _columnCounts = new();
    private ColumnInfo[]? _columnInfoCache;
    private int _statementIndex = -1;

    public void Start(IEnumerable<int> columnCountPerStatement)
    {
        _columnCounts.Clear();
        _columnCounts.AddRange(columnCountPerStatement);
        _statementIndex = -1;
    }

    public bool NextResult()
    {
        bool consumed = false;
        try
        {
            for (_statementIndex++; _statementIndex < _columnCounts.Count; _statementIndex++)
            {
                int columns = _columnCounts[_statementIndex];
                if (columns == 0)
                {
                    continue;
                }

                if (_columnInfoCache?.Length >= columns)
                {
                    Array.Clear(_columnInfoCache, 0, _columnInfoCache.Length);
                }
                else
                {
                    if (_columnInfoCache is { } old)
                    {
                        ArrayPool<ColumnInfo>.Shared.Return(old, clearArray: true);
                    }

                    _columnInfoCache = ArrayPool<ColumnInfo>.Shared.Rent(columns);
                }

                return true;
            }

            consumed = true;
            return false;
        }
        finally
        {
            // The field is cleared before the give-back, so the next command starts without a cache.
            if (consumed && _columnInfoCache is { } cache)
            {
                _columnInfoCache = null;
                ArrayPool<ColumnInfo>.Shared.Return(cache, clearArray: true);
            }
        }
    }
}
