namespace PoolRules.Runtime;

/// <summary>The DMA operations of the kernel's <c>struct device</c> that a page pool uses.</summary>
public interface IDmaDevice
{
    /// <summary><c>dma_map_page</c>: makes <paramref name="length"/> bytes of the page from <paramref name="offset"/> visible to the device; returns the bus address.</summary>
    ulong Map(Page page, int offset, int length, DmaDirection dir);

    /// <summary><c>dma_unmap_page</c>.</summary>
    void Unmap(ulong addr, int length, DmaDirection dir);

    /// <summary><c>dma_sync_single_range_for_device</c>: hands the range back to the device before it writes.</summary>
    void SyncForDevice(ulong addr, int offset, int length, DmaDirection dir);

    /// <summary><c>dma_sync_single_range_for_cpu</c>: makes what the device wrote visible to the CPU.</summary>
    void SyncForCpu(ulong addr, int offset, int length, DmaDirection dir);
}

/// <summary>A cache-coherent device without an IOMMU: the bus address is the virtual address; syncs cost nothing.</summary>
public sealed class IdentityDmaDevice : IDmaDevice
{
    /// <summary>The one instance; the device keeps no state.</summary>
    public static IdentityDmaDevice Instance { get; } = new();

    private IdentityDmaDevice()
    {
    }

    /// <inheritdoc/>
    public ulong Map(Page page, int offset, int length, DmaDirection dir) => (ulong)page.Address + (ulong)offset;

    /// <inheritdoc/>
    public void Unmap(ulong addr, int length, DmaDirection dir)
    {
    }

    /// <inheritdoc/>
    public void SyncForDevice(ulong addr, int offset, int length, DmaDirection dir)
    {
    }

    /// <inheritdoc/>
    public void SyncForCpu(ulong addr, int offset, int length, DmaDirection dir)
    {
    }
}
