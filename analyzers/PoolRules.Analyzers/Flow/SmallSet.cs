using System;
using System.Collections.Generic;

namespace PoolRules.Analyzers.Flow;

/// <summary>
/// An immutable set of a few values (the origins a variable may point at, the states a page may be in): almost always
/// one to three elements, so a shared array beats a hash set, and every operation that changes nothing returns the
/// set itself. Integer sets stay in ascending order, so findings do not depend on the order of joins.
/// </summary>
internal readonly struct SmallSet<T> : IEquatable<SmallSet<T>>
    where T : IEquatable<T>
{
    private static readonly EqualityComparer<T> Comparer = EqualityComparer<T>.Default;

    private readonly T[]? _items;

    internal SmallSet(T[]? items)
    {
        _items = items is { Length: 0 } ? null : items;
    }

    public static SmallSet<T> Empty => default;

    public int Count => _items?.Length ?? 0;

    public bool IsEmpty => _items is null;

    public T this[int index] => _items![index];

    public bool Contains(T value)
    {
        if (_items is null)
        {
            return false;
        }

        foreach (var item in _items)
        {
            if (Comparer.Equals(item, value))
            {
                return true;
            }
        }

        return false;
    }

    public SmallSet<T> Add(T value)
    {
        if (Contains(value))
        {
            return this;
        }

        var count = Count;
        var items = new T[count + 1];
        var at = count;
        if (typeof(T) == typeof(int))
        {
            // Keep integer sets sorted: find the insertion point.
            at = 0;
            while (at < count && (int)(object)_items![at] < (int)(object)value)
            {
                at++;
            }
        }

        if (_items is not null)
        {
            Array.Copy(_items, 0, items, 0, at);
            Array.Copy(_items, at, items, at + 1, count - at);
        }

        items[at] = value;
        return new SmallSet<T>(items);
    }

    public SmallSet<T> Remove(T value)
    {
        if (!Contains(value))
        {
            return this;
        }

        var items = new T[Count - 1];
        var next = 0;
        foreach (var item in _items!)
        {
            if (!Comparer.Equals(item, value))
            {
                items[next++] = item;
            }
        }

        return new SmallSet<T>(items);
    }

    public SmallSet<T> Union(SmallSet<T> other)
    {
        if (other._items is null || ReferenceEquals(_items, other._items))
        {
            return this;
        }

        if (_items is null)
        {
            return other;
        }

        var result = this;
        foreach (var item in other._items)
        {
            result = result.Add(item);
        }

        return result;
    }

    /// <summary>The elements that satisfy <paramref name="predicate"/>; the set itself when all do.</summary>
    public SmallSet<T> Where(Func<T, bool> predicate)
    {
        if (_items is null)
        {
            return this;
        }

        var kept = 0;
        foreach (var item in _items)
        {
            if (predicate(item))
            {
                kept++;
            }
        }

        if (kept == _items.Length)
        {
            return this;
        }

        var items = new T[kept];
        var next = 0;
        foreach (var item in _items)
        {
            if (predicate(item))
            {
                items[next++] = item;
            }
        }

        return new SmallSet<T>(items);
    }

    public bool Any(Func<T, bool> predicate)
    {
        if (_items is not null)
        {
            foreach (var item in _items)
            {
                if (predicate(item))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public Enumerator GetEnumerator() => new(_items);

    public bool Equals(SmallSet<T> other)
    {
        if (ReferenceEquals(_items, other._items))
        {
            return true;
        }

        if (Count != other.Count)
        {
            return false;
        }

        foreach (var item in _items!)
        {
            if (!other.Contains(item))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is SmallSet<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = 0;
        if (_items is not null)
        {
            foreach (var item in _items)
            {
                hash ^= Comparer.GetHashCode(item);
            }
        }

        return hash;
    }

    public override string ToString() => "{" + string.Join(", ", _items ?? Array.Empty<T>()) + "}";

    public struct Enumerator
    {
        private readonly T[]? _items;
        private int _index;

        internal Enumerator(T[]? items)
        {
            _items = items;
            _index = -1;
        }

        public readonly T Current => _items![_index];

        public bool MoveNext() => _items is not null && ++_index < _items.Length;
    }
}

/// <summary>Factory methods for <see cref="SmallSet{T}"/>.</summary>
internal static class SmallSet
{
    private static readonly SmallSet<int>[] SingleRefs = CreateSingleRefs(64);

    public static SmallSet<T> Create<T>(T value)
        where T : IEquatable<T> => new(new[] { value });

    /// <summary>The set of the one origin <paramref name="id"/>, shared for the first origins of a run.</summary>
    public static SmallSet<int> Ref(int id) => id >= 0 && id < SingleRefs.Length ? SingleRefs[id] : Create(id);

    public static SmallSet<T> Create<T>(T first, T second)
        where T : IEquatable<T> =>
        typeof(T) == typeof(int) || EqualityComparer<T>.Default.Equals(first, second) ? Create(first).Add(second) : new(new[] { first, second });

    private static SmallSet<int>[] CreateSingleRefs(int count)
    {
        var sets = new SmallSet<int>[count];
        for (var i = 0; i < count; i++)
        {
            sets[i] = new SmallSet<int>(new[] { i });
        }

        return sets;
    }
}
