using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace PoolRules.Xdp.Tests;

/// <summary>Every bad input fails with a clear error naming what failed, and leaves no fd, link, program or UMEM behind.</summary>
public sealed class ErrorTests
{
    private static readonly XskConfig Small = new() { Frames = 256, FillRingSize = 128, RxRingSize = 128, TxRingSize = 128, CompletionRingSize = 128 };

    [XdpFact]
    public Task An_unknown_interface_is_named_in_the_error() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        var ex = AssertLeavesNothing(lab, () => XdpInterface.Open("nosuch0", 1, XdpAttachMode.Native, Small));
        Assert.Equal(XdpErrorKind.UnknownInterface, ex.Kind);
        Assert.Equal("nosuch0", ex.Interface);
        Assert.Contains("no interface 'nosuch0'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ENODEV", ex.Message, StringComparison.Ordinal);
    });

    [XdpFact]
    public Task A_queue_the_interface_does_not_have_is_out_of_range() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 2);
        var ex = AssertLeavesNothing(lab, () => XdpInterface.Open(VethLab.Receiver, 3, XdpAttachMode.Native, Small));
        Assert.Equal(XdpErrorKind.QueueOutOfRange, ex.Kind);
        Assert.Equal(2, ex.Queue);
        Assert.Contains("queue 2 out of range: 'veth1' has 2 RX queues", ex.Message, StringComparison.Ordinal);
    });

    [XdpFact]
    public Task An_MTU_too_large_for_native_mode_fails_at_attach_and_detaches_everything() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 1);
        // A veth takes a native program only while its peer's MTU fits a page.
        lab.Ns.Run(() => RtNetlink.SetMtu(VethLab.Peer, 9000));
        var ex = AssertLeavesNothing(lab, () => XdpInterface.Open(VethLab.Receiver, 1, XdpAttachMode.Native, Small));
        Assert.True(ex.Kind == XdpErrorKind.MtuTooLarge, ex.Message);
        Assert.Equal(34, ex.Errno);
        Assert.Contains("MTU 9000 of 'veth0' (the peer of 'veth1') is too large for native XDP", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bpf(BPF_LINK_CREATE) failed with ERANGE", ex.Message, StringComparison.Ordinal);

        // Nothing stayed attached: at a native-mode MTU the same interface takes a program again.
        lab.Ns.Run(() => RtNetlink.SetMtu(VethLab.Peer, 1500));
        lab.Ns.Run(() => XdpInterface.Open(VethLab.Receiver, 1, XdpAttachMode.Native, Small)).Dispose();
    });

    [XdpFact]
    public Task A_failed_bind_releases_the_sockets_the_umems_the_program_and_the_map() => Task.Run(() =>
    {
        using var lab = new VethLab(queues: 2);

        // veth has no zero-copy: the first bind fails, after the map, the program and a UMEM were made.
        var zeroCopy = new XskConfig { Frames = 256, FillRingSize = 128, RxRingSize = 128, TxRingSize = 128, CompletionRingSize = 128, BindMode = XskBindMode.ZeroCopy };
        var ex = AssertLeavesNothing(lab, () => XdpInterface.Open(VethLab.Receiver, 2, XdpAttachMode.Native, zeroCopy));
        Assert.Equal("bind(AF_XDP)", ex.Syscall);
        Assert.True(ex.Errno != 16, ex.Message);
        Assert.Equal(0, ex.Queue);
        Assert.Contains("interface 'veth1', queue 0", ex.Message, StringComparison.Ordinal);
        lab.Ns.Run(() => XdpInterface.Open(VethLab.Receiver, 2, XdpAttachMode.Native, Small)).Dispose();
    });

    [XdpFact]
    public Task The_driver_prints_one_line_and_exits_2_for_a_missing_interface() => Task.Run(() =>
    {
        XdpEnvironment.Require();
        var (code, stdout, stderr) = RunDriver("--xdp --interface nosuch0 --seconds 1");
        Assert.Equal(2, code);
        Assert.Equal("", stdout.Trim());
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("RxDriver --xdp: no interface 'nosuch0'", line, StringComparison.Ordinal);
    });

    [XdpFact]
    public Task The_driver_prints_one_line_and_exits_2_when_not_root() => Task.Run(() =>
    {
        XdpEnvironment.Require();
        Assert.True(File.Exists("/usr/bin/setpriv"), "setpriv (util-linux) runs the driver as another user");
        var (code, _, stderr) = RunDriver("--xdp --seconds 1", asNobody: true);
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("RxDriver --xdp: not root", line, StringComparison.Ordinal);
    });

    [XdpFact]
    public Task The_driver_in_its_own_namespace_prints_the_rate_the_socket_counters_and_inflight_0() => Task.Run(() =>
    {
        XdpEnvironment.Require();
        var (code, stdout, stderr) = RunDriver("--xdp --frames 200000 --seconds 5");
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Matches(@"received [\d,]+ frames in [\d.]+ s: [\d.]+ Mpps", stdout);
        Assert.Matches(@"rx0: socket rx_ring_full \d+, rx_dropped \d+", stdout);
        Assert.Contains("(closes)", stdout, StringComparison.Ordinal);
        Assert.EndsWith("unloaded: inflight rx0 0; UMEM chunks free rx0 4096/4096", stdout.Trim(), StringComparison.Ordinal);
    });

    [XdpFact]
    public Task The_driver_on_a_named_interface_receives_what_another_process_sends_and_refuses_a_queue_it_lacks() => Task.Run(() =>
    {
        XdpEnvironment.Require();
        Assert.True(File.Exists("/usr/bin/nsenter"), "nsenter (util-linux) starts the driver in the test's namespace");
        using var lab = new VethLab(queues: 1);
        var nsenter = $"--net={lab.Ns.HandlePath} ";

        var (code, stdout, stderr) = RunDriver("--xdp --interface veth1 --queues 2 --seconds 1", prefix: nsenter);
        Assert.Equal(2, code);
        Assert.Equal("RxDriver --xdp: queue 1 out of range: 'veth1' has 1 RX queue (asked for 2) (interface 'veth1', queue 1)", Assert.Single(stderr.Trim().Split('\n')));
        Assert.Equal("", stdout.Trim());

        using var driver = StartDriver("--xdp --interface veth1 --frames 2000 --seconds 20", nsenter);
        Assert.StartsWith("RxDriver: veth1", driver.StandardOutput.ReadLine(), StringComparison.Ordinal);
        var seq = 0L;
        while (!driver.HasExited && seq < 1_000_000)
        {
            lab.Send(first: seq, count: 100);
            seq += 100;
        }

        Assert.True(driver.WaitForExit(TimeSpan.FromSeconds(20)), "the driver ends after --frames frames");
        var output = driver.StandardOutput.ReadToEnd();
        Assert.True(driver.ExitCode == 0, output + driver.StandardError.ReadToEnd());
        Assert.Matches(@"received (2,0\d\d|[2-9],\d{3}|\d{2,},\d{3}) frames in", output);
        Assert.EndsWith("unloaded: inflight rx0 0; UMEM chunks free rx0 4096/4096", output.Trim(), StringComparison.Ordinal);
    });

    private static XdpException AssertLeavesNothing(VethLab lab, Action open)
    {
        // Once first, so lazily opened runtime files are already open when counting.
        Assert.Throws<XdpException>(() => lab.Ns.Run(open));
        var fds = VethLab.OpenFds();
        var bpf = VethLab.BpfFds();
        var umems = Umem.LiveMappings;
        var ex = Assert.Throws<XdpException>(() => lab.Ns.Run(open));
        Assert.Equal(fds, VethLab.OpenFds());
        Assert.Equal(bpf, VethLab.BpfFds());
        Assert.Equal(umems, Umem.LiveMappings);
        return ex;
    }

    private static (int Code, string Stdout, string Stderr) RunDriver(string arguments, bool asNobody = false, string? prefix = null)
    {
        using var process = StartDriver(arguments, prefix, asNobody);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(45)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"RxDriver {arguments} did not end in 45 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    // The sample driver as its own process: as another user through setpriv, or in the test's namespace through nsenter.
    // The build output may sit below a folder only root can enter (a clone under `mktemp -d` is 0700), where another
    // user cannot even load the driver: give that user a copy in a folder it can read.
    private static readonly Lazy<string> s_readableOutput = new(ReadableCopyOfOutput);

    private static string ReadableCopyOfOutput()
    {
        var copy = Path.Combine(Path.GetTempPath(), "poolrules-xdp-nobody-" + Guid.NewGuid().ToString("N")[..12]);
        const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(copy, Readable);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory))
        {
            var target = Path.Combine(copy, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(copy, recursive: true);
        return copy;
    }

    private static Process StartDriver(string arguments, string? nsenter, bool asNobody = false)
    {
        var dll = Path.Combine(asNobody ? s_readableOutput.Value : AppContext.BaseDirectory, "RxDriver.dll");
        var dotnet = Environment.ProcessPath ?? "dotnet";
        if (!Path.GetFileNameWithoutExtension(dotnet).Equals("dotnet", StringComparison.Ordinal))
        {
            dotnet = "dotnet";
        }

        var start = asNobody
            ? new ProcessStartInfo("/usr/bin/setpriv", $"--reuid=65534 --regid=65534 --clear-groups {dotnet} {dll} {arguments}")
            : nsenter is not null
                ? new ProcessStartInfo("/usr/bin/nsenter", $"{nsenter}{dotnet} {dll} {arguments}")
                : new ProcessStartInfo(dotnet, $"{dll} {arguments}");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        return Process.Start(start)!;
    }
}
