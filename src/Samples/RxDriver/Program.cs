using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using PoolRules.Runtime;
using PoolRules.Samples.RxDriver;

// A multi-queue RX driver on a simulated NIC: the device DMAs frames into pool pages, one NAPI and one page pool per
// RX queue run the kernel document's poller with an XDP program, the stack and TX completion return pages from
// other threads, and unload leaves nothing inflight.
const string Usage = """
    usage: RxDriver [--frames N] [--queues 1-64] [--checked]
           RxDriver --xdp [--interface NAME] [--queues N] [--mode drop|forward|mixed] [--frames N] [--seconds S] [--cpus LIST] [--generic] [--busy-poll] [--checked]

    Without --xdp: the driver on a simulated NIC (default 4,000,000 frames, 2 queues).
    --xdp: the driver on AF_XDP sockets (Linux, root). Without --interface it makes a private network namespace with a
    veth pair of --queues queues (default 1) and sends its own live frames; with --interface NAME it attaches there
    (default: all its RX queues) and receives what others send. Ends after --frames frames (default 4,000,000) or
    --seconds seconds (default 10). --mode: drop (default), forward (swap MACs, send back), mixed (the sample's XDP
    program). --cpus 0,1: pin each queue's poll thread, then the traffic source, to these CPUs. --generic attaches
    in generic (skb) mode instead of native. --busy-poll polls without interrupts (a core per queue spins; an idle
    queue otherwise sleeps until poll(2) sees frames).
    """;

long frames = 4_000_000;
int? queuesArg = null;
var checkedMode = false;
var xdp = false;
var xdpCommand = new XdpCommand();
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--help" or "-h":
            Console.WriteLine(Usage);
            return 0;
        case "--checked":
            checkedMode = true;
            continue;
        case "--xdp":
            xdp = true;
            continue;
        case "--generic":
            xdpCommand.Generic = true;
            continue;
        case "--busy-poll":
            xdpCommand.BusyPoll = true;
            continue;
        case "--frames" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
            frames = n;
            xdpCommand.Frames = n;
            break;
        case "--queues" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var q) && q is > 0 and <= 64:
            queuesArg = q;
            break;
        case "--interface" when !string.IsNullOrEmpty(value):
            xdpCommand.Interface = value;
            break;
        case "--mode" when value is "drop" or "forward" or "mixed":
            xdpCommand.Action = value switch { "drop" => FrameAction.Drop, "forward" => FrameAction.Forward, _ => FrameAction.Program };
            break;
        case "--seconds" when double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var sec) && sec > 0:
            xdpCommand.Seconds = sec;
            break;
        case "--cpus" when TryParseCpus(value, out var cpus):
            xdpCommand.Cpus = cpus;
            break;
        default:
            Console.Error.WriteLine($"invalid argument '{args[i]}'{(value is null ? "" : $" '{value}'")}; see RxDriver --help");
            return 2;
    }

    i++;
}

if (xdp)
{
    if (!OperatingSystem.IsLinux())
    {
        Console.Error.WriteLine("RxDriver --xdp: AF_XDP needs Linux");
        return 2;
    }

    xdpCommand.Queues = queuesArg;
    xdpCommand.Checked = checkedMode;
    return XdpMode.Run(xdpCommand);
}
else if (xdpCommand.Interface is not null || xdpCommand.Cpus.Count > 0)
{
    Console.Error.WriteLine("--interface and --cpus need --xdp; see RxDriver --help");
    return 2;
}

var queues = queuesArg ?? 2;
const int RingSize = 256;
var dev = new NetDevice("sim0", rxQueueCount: queues, txQueueCount: queues);
var iommu = new SimulatedIommu();
var nic = new SimulatedNic(dev.RxQueueCount, dev.TxQueueCount, RingSize, RxQueue.Headroom, frames);
var stack = new NetworkStack(backlog: 1024);
var rx = new RxQueue[dev.RxQueueCount];
for (var q = 0; q < rx.Length; q++)
{
    rx[q] = new RxQueue(dev, q, new SimulatedQueue(nic, q), stack, iommu, checkedMode);
}

Console.WriteLine($"RxDriver: {dev.Name}, {dev.RxQueueCount} RX queues (one page pool each), ring {RingSize}, {frames:N0} frames{(checkedMode ? ", checked mode" : "")}");
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
var stats = rx.Select(r => r.Pool.GetStats()).ToArray();
foreach (var queue in rx)
{
    queue.Close();
}

var freed = rx.All(r => r.Pool.Freed.Wait(TimeSpan.FromSeconds(10)));
Console.WriteLine($"received {frames:N0} frames in {elapsed.TotalSeconds:F2} s: {frames / elapsed.TotalSeconds / 1e6:F2} Mpps; " +
    $"stack delivered {stack.Delivered:N0} (backlog drops {stack.Dropped:N0}), device transmitted {nic.Transmitted:N0}");
for (var q = 0; q < rx.Length; q++)
{
    var r = rx[q];
    Console.WriteLine($"rx{q}: received {r.Received:N0}: drop {r.Dropped:N0}, pass {r.Passed:N0}, tx {r.Transmitted:N0}, redirect {r.Redirected:N0}, aborted {r.Aborted:N0}");
    Console.WriteLine($"rx{q}: pool {stats[q]}");
}

Console.WriteLine($"unloaded: inflight {string.Join(", ", rx.Select((r, q) => $"rx{q} {r.Pool.Inflight}"))}; IOMMU mappings left {iommu.LiveMappings}");
return freed && iommu.LiveMappings == 0 ? 0 : 1;

static bool TryParseCpus(string? list, out int[] cpus)
{
    cpus = [];
    if (string.IsNullOrEmpty(list))
    {
        return false;
    }

    var parts = list.Split(',');
    var parsed = new int[parts.Length];
    for (var i = 0; i < parts.Length; i++)
    {
        if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]) || parsed[i] >= Environment.ProcessorCount)
        {
            return false;
        }
    }

    cpus = parsed;
    return true;
}
