using System;
using System.Collections.Generic;
using System.Linq;

namespace PoolRules.Runtime;

/// <summary>
/// A device that checks every DMA call like the kernel's DMA-API debugging (CONFIG_DMA_API_DEBUG): double map,
/// double unmap, unmap with another length or direction, sync of an unmapped address or beyond the mapping, and
/// mappings still alive at the end. Addresses are identity-mapped; the checks take a lock, so use it in tests
/// and checked runs, not on a fast path.
/// </summary>
public sealed class CheckingDmaDevice : IDmaDevice
{
    private readonly object _gate = new();
    private readonly Dictionary<ulong, DmaMapping> _mappings = new();

    /// <summary>Mappings made so far.</summary>
    public long MapCount { get; private set; }

    /// <summary>Mappings undone so far.</summary>
    public long UnmapCount { get; private set; }

    /// <summary>Syncs for the device so far.</summary>
    public long SyncForDeviceCount { get; private set; }

    /// <summary>Mappings not yet unmapped: after a clean shutdown, none.</summary>
    public IReadOnlyList<DmaMapping> LiveMappings
    {
        get
        {
            lock (_gate)
            {
                return _mappings.Values.ToArray();
            }
        }
    }

    /// <inheritdoc/>
    public ulong Map(Page page, int offset, int length, DmaDirection dir)
    {
        ArgumentNullException.ThrowIfNull(page);
        CheckRange(page.Length, offset, length, nameof(length));
        var addr = (ulong)page.Address + (ulong)offset;
        lock (_gate)
        {
            if (_mappings.ContainsKey(addr))
            {
                throw new InvalidOperationException($"DMA: address 0x{addr:x} is already mapped (double map).");
            }

            _mappings.Add(addr, new DmaMapping(addr, length, dir));
            MapCount++;
        }

        return addr;
    }

    /// <inheritdoc/>
    public void Unmap(ulong addr, int length, DmaDirection dir)
    {
        lock (_gate)
        {
            if (!_mappings.TryGetValue(addr, out var mapping))
            {
                throw new InvalidOperationException($"DMA: unmap of address 0x{addr:x} that is not mapped (double unmap or never mapped).");
            }

            if (mapping.Length != length || mapping.Direction != dir)
            {
                throw new InvalidOperationException(
                    $"DMA: unmap of 0x{addr:x} with length {length} and direction {dir}, mapped with length {mapping.Length} and direction {mapping.Direction}.");
            }

            _mappings.Remove(addr);
            UnmapCount++;
        }
    }

    /// <inheritdoc/>
    public void SyncForDevice(ulong addr, int offset, int length, DmaDirection dir)
    {
        lock (_gate)
        {
            CheckSync(addr, offset, length, dir);
            SyncForDeviceCount++;
        }
    }

    /// <inheritdoc/>
    public void SyncForCpu(ulong addr, int offset, int length, DmaDirection dir)
    {
        lock (_gate)
        {
            CheckSync(addr, offset, length, dir);
        }
    }

    /// <summary>Throws when any mapping is still alive, listing them (the kernel's "DMA-API: device driver has pending DMA allocations").</summary>
    public void ThrowIfMappingsLeaked()
    {
        var live = LiveMappings;
        if (live.Count > 0)
        {
            throw new InvalidOperationException(
                $"DMA: {live.Count} mapping(s) leaked: {string.Join(", ", live.Select(m => $"0x{m.Address:x}+{m.Length}"))}.");
        }
    }

    private void CheckSync(ulong addr, int offset, int length, DmaDirection dir)
    {
        if (!_mappings.TryGetValue(addr, out var mapping))
        {
            throw new InvalidOperationException($"DMA: sync of address 0x{addr:x} that is not mapped.");
        }

        CheckRange(mapping.Length, offset, length, nameof(length));
        if (mapping.Direction != dir)
        {
            throw new InvalidOperationException($"DMA: sync of 0x{addr:x} with direction {dir}, mapped with {mapping.Direction}.");
        }
    }

    private static void CheckRange(int mappingLength, int offset, int length, string name)
    {
        if (offset < 0 || length < 0 || (long)offset + length > mappingLength)
        {
            throw new ArgumentOutOfRangeException(
                name, $"DMA: range [{offset}, {(long)offset + length}) lies beyond the mapping of {mappingLength} bytes.");
        }
    }
}

/// <summary>One live DMA mapping of a <see cref="CheckingDmaDevice"/>.</summary>
/// <param name="Address">Bus address.</param>
/// <param name="Length">Mapped bytes.</param>
/// <param name="Direction">Mapping direction.</param>
public readonly record struct DmaMapping(ulong Address, int Length, DmaDirection Direction);
