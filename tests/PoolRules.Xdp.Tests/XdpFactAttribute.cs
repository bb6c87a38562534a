using System;
using System.Runtime.Versioning;
using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

// Everything here is AF_XDP; on other systems the tests skip (or fail, in CI) before touching it.
[assembly: SupportedOSPlatform("linux")]

namespace PoolRules.Xdp.Tests;

/// <summary>
/// A test that needs root and AF_XDP. Where the machine cannot run it, it is skipped with the reason; with
/// <c>POOLRULES_REQUIRE_XDP=1</c> (CI) it runs anyway and fails with that reason instead. Bounded by a timeout.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class XdpFactAttribute : FactAttribute
{
    public XdpFactAttribute()
    {
        Timeout = 60_000;
        if (XdpEnvironment.Unavailable is { } reason && !XdpEnvironment.Required)
        {
            Skip = reason + " (set POOLRULES_REQUIRE_XDP=1 to fail instead)";
        }
    }
}

/// <summary>Whether this machine can run the AF_XDP tests, and why not.</summary>
internal static class XdpEnvironment
{
    public static bool Required => Environment.GetEnvironmentVariable("POOLRULES_REQUIRE_XDP") == "1";

    public static string? Unavailable { get; } = Probe();

    /// <summary>First line of every test: fails with the reason where the machine cannot run it (the skip was turned off).</summary>
    public static void Require()
    {
        if (Unavailable is { } reason)
        {
            Assert.Fail($"AF_XDP tests required (POOLRULES_REQUIRE_XDP=1) but cannot run here: {reason}");
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "AF_XDP needs Linux";
        }

        try
        {
            XdpSupport.EnsureAvailable();
            return null;
        }
        catch (XdpException ex)
        {
            return ex.Message;
        }
    }
}
