using System.Collections.Generic;
using PoolRules.Runtime;

namespace PoolRules.Samples.RxDriver;

/// <summary>
/// A device behind an IOMMU: every map allocates an I/O virtual address and records the translation, every unmap
/// tears it down, under one lock, as an IOMMU driver's IOVA allocator does. This is the per-frame cost that a
/// driver without a page pool pays and a page pool pays once per page.
/// </summary>
internal sealed class SimulatedIommu : IDmaDevice
{
    private readonly object _gate = new();
    private readonly Dictionary<ulong, nint> _translations = new();
    private ulong _nextIova = 0x1_0000_0000;

    public int LiveMappings
    {
        get
        {
            lock (_gate)
            {
                return _translations.Count;
            }
        }
    }

    public ulong Map(Page page, int offset, int length, DmaDirection dir) => MapAddress(page.Address + offset, length);

    public ulong MapAddress(nint address, int length)
    {
        lock (_gate)
        {
            var iova = _nextIova;
            _nextIova += (ulong)((length + 4095) & ~4095);
            _translations.Add(iova, address);
            return iova;
        }
    }

    public void Unmap(ulong addr, int length, DmaDirection dir)
    {
        lock (_gate)
        {
            _translations.Remove(addr);
        }
    }

    public void SyncForDevice(ulong addr, int offset, int length, DmaDirection dir)
    {
        // Cache-coherent platform: nothing to flush.
    }

    public void SyncForCpu(ulong addr, int offset, int length, DmaDirection dir)
    {
    }
}
