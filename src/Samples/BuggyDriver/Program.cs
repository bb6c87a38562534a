using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using PoolRules.Runtime;
using PoolRules.Samples.RxDriver;

// The RxDriver with one realistic mistake per PoolRules rule, each marked on its line with the rule id: building
// this project shows every PP warning at its marker. It is meant to be built, not run.
if (!args.Contains("--run-anyway"))
{
    Console.Error.WriteLine("BuggyDriver is meant to be built, not run: `dotnet build src/Samples/BuggyDriver` shows one PoolRules warning per marked mistake, and those mistakes corrupt its pools at run time (pass --run-anyway to see that).");
    return 2;
}

long frames = 4_000_000;
var queues = 2;
var checkedMode = false;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--run-anyway")
    {
        continue;
    }
    else if (args[i] == "--checked")
    {
        checkedMode = true;
    }
    else if (args[i] == "--frames" && i + 1 < args.Length && long.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
    {
        frames = n;
    }
    else if (args[i] == "--queues" && i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var q) && q is > 0 and <= 64)
    {
        queues = q;
    }
    else
    {
        Console.Error.WriteLine($"invalid argument '{args[i]}'; usage: BuggyDriver [--frames N] [--queues 1-64] [--checked]");
        return 2;
    }
}

const int RingSize = 256;
var dev = new NetDevice("sim0", rxQueueCount: queues, txQueueCount: queues);
var iommu = new SimulatedIommu();
var nic = new SimulatedNic(dev.RxQueueCount, dev.TxQueueCount, RingSize, RxQueue.Headroom, frames);
var stack = new NetworkStack(backlog: 1024);
var rx = new RxQueue[dev.RxQueueCount];
for (var q = 0; q < rx.Length; q++)
{
    rx[q] = new RxQueue(dev, q, nic, stack, iommu, checkedMode);
}

Console.WriteLine($"BuggyDriver: {dev.Name}, {dev.RxQueueCount} RX queues (one page pool each), ring {RingSize}, {frames:N0} frames{(checkedMode ? ", checked mode" : "")}");
var clock = Stopwatch.StartNew();
stack.Start();
foreach (var queue in rx)
{
    queue.Open();
}

nic.Start();
var progress = Stopwatch.StartNew();
while (rx.Sum(r => r.Received) < frames)
{
    Thread.Sleep(20);
    if (progress.ElapsedMilliseconds >= 500 && !Console.IsOutputRedirected)
    {
        progress.Restart();
        var received = rx.Sum(r => r.Received);
        Console.Write($"\r  {received:N0} / {frames:N0} frames, {received / clock.Elapsed.TotalSeconds / 1e6:F2} Mpps ");
    }
}

var elapsed = clock.Elapsed;
if (!Console.IsOutputRedirected)
{
    Console.Write("\r" + new string(' ', 60) + "\r");
}

// Unload: the device stops (completing queued transmissions), then polling, then the stack drains its backlog back
// into the pools, then each queue returns its posted pages and unregisters.
nic.Stop();
foreach (var queue in rx)
{
    queue.Stop();
}

stack.Stop();
// The pool table for the stats, one slot per CPU.
var pools = new PagePool[Environment.ProcessorCount]; // PP0004: sized by the CPU count, not the RX queue count
for (var q = 0; q < rx.Length; q++)
{
    pools[q] = rx[q].Pool;
}

var stats = pools.Take(rx.Length).Select(p => p.GetStats()).ToArray();
foreach (var queue in rx)
{
    queue.Close();
}

var freed = rx.All(r => r.Pool.Freed.Wait(TimeSpan.FromSeconds(10)));
Console.WriteLine($"received {frames:N0} frames in {elapsed.TotalSeconds:F2} s: {frames / elapsed.TotalSeconds / 1e6:F2} Mpps; " +
    $"stack delivered {stack.Delivered:N0}, device transmitted {nic.Transmitted:N0}");
for (var q = 0; q < rx.Length; q++)
{
    var r = rx[q];
    Console.WriteLine($"rx{q}: received {r.Received:N0}: drop {r.Dropped:N0}, pass {r.Passed:N0}, tx {r.Transmitted:N0}, redirect {r.Redirected:N0}, aborted {r.Aborted:N0}");
    Console.WriteLine($"rx{q}: pool {stats[q]}");
}

Console.WriteLine($"unloaded: inflight {string.Join(", ", rx.Select((r, q) => $"rx{q} {r.Pool.Inflight}"))}; IOMMU mappings left {iommu.LiveMappings}");
return freed && iommu.LiveMappings == 0 ? 0 : 1;
