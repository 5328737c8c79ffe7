using System.Diagnostics;
using System.Globalization;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// A network namespace the test creates, joined to this machine's namespace by a veth pair with a
/// private /30 (<see cref="HostAddress"/> on this side, <see cref="InsideAddress"/> inside): nothing
/// is routed anywhere else, so no packet leaves the machine. <see cref="Partition"/> makes nftables
/// inside the namespace drop every packet on the veth, both ways (a silent partition: no reset, no
/// ICMP, as when a switch or a cloud network drops traffic); <see cref="Heal"/> removes the rules.
/// Disposing deletes the namespace, which deletes the veth pair and its addresses with it, also when
/// the test failed. Needs root (CI has it): fails, never skips, without it.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private const string Table = "conveyor_fault";
    private readonly string _hostLink;
    private readonly string _insideLink;
    private bool _disposed;

    private NetworkNamespace(string name, string hostAddress, string insideAddress, string hostLink, string insideLink)
    {
        Name = name;
        HostAddress = hostAddress;
        InsideAddress = insideAddress;
        _hostLink = hostLink;
        _insideLink = insideLink;
    }

    public string Name { get; }
    public string HostAddress { get; }
    public string InsideAddress { get; }

    /// <summary>The command prefix that runs a program inside the namespace.</summary>
    public string[] Exec => ["ip", "netns", "exec", Name];

    public static NetworkNamespace Create()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        // A random /30 in 10.231.0.0/16, not already on this machine (parallel tests each pick their own).
        string host, inside;
        var existing = Run("ip", "-o", "-4", "addr", "show");
        do
        {
            var n = Random.Shared.Next(0, 16384);
            host = $"10.231.{n / 64}.{n % 64 * 4 + 1}";
            inside = $"10.231.{n / 64}.{n % 64 * 4 + 2}";
        }
        while (existing.Contains(host + "/", StringComparison.Ordinal));
        var ns = new NetworkNamespace($"cvf-{id}", host, inside, $"cvh{id}", $"cvn{id}");
        try
        {
            Run("ip", "netns", "add", ns.Name);
            Run("ip", "link", "add", ns._hostLink, "type", "veth", "peer", "name", ns._insideLink);
            Run("ip", "link", "set", ns._insideLink, "netns", ns.Name);
            Run("ip", "addr", "add", host + "/30", "dev", ns._hostLink);
            Run("ip", "link", "set", ns._hostLink, "up");
            ns.In("ip", "link", "set", "lo", "up");
            ns.In("ip", "addr", "add", inside + "/30", "dev", ns._insideLink);
            ns.In("ip", "link", "set", ns._insideLink, "up");
            ns.In("nft", "add", "table", "inet", Table);
            ns.In("nft", "add", "chain", "inet", Table, "in", "{ type filter hook input priority 0; policy accept; }");
            ns.In("nft", "add", "chain", "inet", Table, "out", "{ type filter hook output priority 0; policy accept; }");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Drops every packet between the namespace and this machine, both ways.</summary>
    public void Partition()
    {
        In("nft", "add", "rule", "inet", Table, "in", "iifname", _insideLink, "drop");
        In("nft", "add", "rule", "inet", Table, "out", "oifname", _insideLink, "drop");
    }

    /// <summary>Lets packets through again.</summary>
    public void Heal()
    {
        In("nft", "flush", "chain", "inet", Table, "in");
        In("nft", "flush", "chain", "inet", Table, "out");
    }

    /// <summary>The namespace's ruleset (for a failing test's output).</summary>
    public string Rules() => In("nft", "list", "table", "inet", Table);

    private string In(params string[] command) => Run([.. Exec, .. command]);

    private static string Run(params string[] command)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command[0]}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000)) { p.Kill(); throw new TimeoutException($"{string.Join(' ', command)} did not finish"); }
        if (p.ExitCode != 0)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{string.Join(' ', command)} exited {p.ExitCode}: {stderr.Result.Trim()} (network namespaces and nftables need root and the iproute2 and nftables packages; ./test.sh installs them)"));
        return stdout.Result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { Run("ip", "netns", "delete", Name); } catch (InvalidOperationException) { }
        try { Run("ip", "link", "delete", _hostLink); } catch (InvalidOperationException) { } // gone with the namespace, normally
    }
}
