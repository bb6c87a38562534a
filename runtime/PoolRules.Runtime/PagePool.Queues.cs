using System;
using System.Collections.Generic;

namespace PoolRules.Runtime;

public sealed partial class PagePool
{
    private readonly List<XdpRxQueueInfo> _queues = new(1);

    /// <summary>The RX queues this pool is registered on as an XDP memory model.</summary>
    public IReadOnlyList<XdpRxQueueInfo> RegisteredQueues
    {
        get
        {
            lock (_queues)
            {
                return _queues.ToArray();
            }
        }
    }

    internal void AttachToQueue(XdpRxQueueInfo rxq)
    {
        lock (_queues)
        {
            if (_destroying)
            {
                throw new ObjectDisposedException(_name, $"Page pool '{_name}' was destroyed; it cannot back an RX queue.");
            }

            // The fast cache is lockless only because one NAPI context owns it: two queues would race on it.
            if (_queues.Count > 0 && !_allowSharedQueues)
            {
                var first = _queues[0];
                throw new InvalidOperationException(
                    $"Page pool '{_name}' already serves {first}; registering it on {rxq} too would share one lockless cache between two RX queues. " +
                    "Create one pool per RX queue, or set PagePoolParams.AllowSharedQueues for hardware that cannot.");
            }

            _queues.Add(rxq);
            if (_queues.Count == 1)
            {
                // Kept after the queue goes, so a pool that waits for its pages still says what it served.
                SetQueue(rxq.Device!, rxq.QueueIndex);
            }

            AddUser();
        }
    }

    internal void DetachFromQueue(XdpRxQueueInfo rxq)
    {
        lock (_queues)
        {
            if (!_queues.Remove(rxq))
            {
                return;
            }
        }

        ReleaseUser();
    }
}
