using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using PoolRules.Runtime;
using PoolRules.Samples.RxDriver;

// A single-queue RX driver on a simulated NIC: the device DMAs frames into pool pages, the NAPI poll runs the
// kernel document's poller, and unload leaves nothing inflight.
long frames = 2_000_000;
var checkedMode = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--frames" when i + 1 < args.Length && long.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
            frames = n;
            i++;
            break;
        case "--checked":
            checkedMode = true;
            break;
        default:
            Console.Error.WriteLine($"unknown or invalid argument '{args[i]}'; usage: RxDriver [--frames N] [--checked]");
            return 2;
    }
}

var dev = new NetDevice("sim0", rxQueueCount: 1, txQueueCount: 1);
var queue = new RxQueue(dev, queueIndex: 0, ringSize: 256, frames, checkedMode);
Console.WriteLine($"RxDriver: {dev.Name}, 1 RX queue, ring 256, {frames:N0} frames{(checkedMode ? ", checked mode" : "")}");

var clock = Stopwatch.StartNew();
queue.Open();
while (queue.Processed < frames)
{
    Thread.Sleep(10);
}

var elapsed = clock.Elapsed;
var stats = queue.Pool.GetStats();
queue.Close();
if (!queue.Pool.Freed.Wait(TimeSpan.FromSeconds(10)))
{
    Console.Error.WriteLine($"unload stalled: inflight {queue.Pool.Inflight}");
    return 1;
}

Console.WriteLine($"received {frames:N0} frames in {elapsed.TotalSeconds:F2} s: {frames / elapsed.TotalSeconds / 1e6:F2} Mpps " +
    $"(dropped by XDP {queue.Dropped:N0}, passed to stack {queue.Passed:N0}, errors {queue.Errors:N0})");
Console.WriteLine($"pool stats: {stats}");
Console.WriteLine($"unloaded: inflight {queue.Pool.Inflight}");
return queue.Pool.Inflight == 0 ? 0 : 1;
