using System;

namespace PoolRules.Runtime;

/// <summary>
/// The kernel's <c>struct xdp_rxq_info</c>: ties an RX queue of a device to the memory model its frames come
/// from. Registering a <see cref="PagePool"/> as the memory model keeps the pool alive until
/// <see cref="Unregister"/>, and a pool serves one RX queue only unless it was created with
/// <see cref="PagePoolParams.AllowSharedQueues"/>.
/// </summary>
public sealed class XdpRxQueueInfo
{
    private PagePool? _allocator;

    /// <summary>The device, once registered.</summary>
    public NetDevice? Device { get; private set; }

    /// <summary>The RX queue index, once registered; -1 before.</summary>
    public int QueueIndex { get; private set; } = -1;

    /// <summary>The memory model, once registered.</summary>
    public MemoryModelType? MemoryModel { get; private set; }

    /// <summary>The pool behind <see cref="MemoryModelType.PagePool"/>.</summary>
    public PagePool? Allocator => _allocator;

    /// <summary>True between <see cref="Register"/> and <see cref="Unregister"/>.</summary>
    public bool IsRegistered => Device is not null;

    /// <summary><c>xdp_rxq_info_reg</c>: this info describes RX queue <paramref name="queueIndex"/> of <paramref name="dev"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="queueIndex"/> is not an RX queue of the device.</exception>
    /// <exception cref="InvalidOperationException">Already registered.</exception>
    public void Register(NetDevice dev, int queueIndex)
    {
        ArgumentNullException.ThrowIfNull(dev);
        if ((uint)queueIndex >= (uint)dev.RxQueueCount)
        {
            throw new ArgumentOutOfRangeException(nameof(queueIndex), queueIndex, $"Device '{dev.Name}' has RX queues 0 to {dev.RxQueueCount - 1}.");
        }

        lock (dev.RegistrationGate)
        {
            if (Device is not null)
            {
                throw new InvalidOperationException($"This rx-queue info is already registered on queue {QueueIndex} of '{Device.Name}'.");
            }

            Device = dev;
            QueueIndex = queueIndex;
        }
    }

    /// <summary>
    /// <c>xdp_rxq_info_reg_mem_model</c>: frames on this queue come from <paramref name="allocator"/> (required for
    /// <see cref="MemoryModelType.PagePool"/>). The registration holds a user of the pool until <see cref="Unregister"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not registered yet, a model is already set, or the pool already serves another RX queue.</exception>
    public void RegisterMemoryModel(MemoryModelType type, PagePool? allocator)
    {
        if (!Enum.IsDefined(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a MemoryModelType.");
        }

        if (type == MemoryModelType.PagePool)
        {
            ArgumentNullException.ThrowIfNull(allocator);
        }

        var dev = Device ?? throw new InvalidOperationException("RegisterMemoryModel before Register: the rx-queue info has no queue yet.");
        if (MemoryModel is not null)
        {
            throw new InvalidOperationException($"Queue {QueueIndex} of '{dev.Name}' already has the memory model {MemoryModel}.");
        }

        if (type == MemoryModelType.PagePool)
        {
            allocator!.AttachToQueue(this);
            _allocator = allocator;
        }

        MemoryModel = type;
    }

    /// <summary><c>xdp_rxq_info_unreg</c>: drops the memory model (destroying the pool if this was its last user) and the queue.</summary>
    public void Unregister()
    {
        var pool = _allocator;
        _allocator = null;
        MemoryModel = null;
        Device = null;
        QueueIndex = -1;
        pool?.DetachFromQueue(this);
    }

    /// <inheritdoc/>
    public override string ToString() => Device is null ? "xdp_rxq_info (unregistered)" : $"{Device.Name} rx {QueueIndex}";
}
