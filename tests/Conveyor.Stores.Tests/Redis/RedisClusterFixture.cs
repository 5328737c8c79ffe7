using System.Diagnostics;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// A real three-node Redis Cluster (masters only) on free loopback ports, created with
/// <c>redis-cli --cluster create</c> and killed on dispose.
/// </summary>
public sealed class RedisClusterFixture : IDisposable
{
    private readonly List<RedisProcess> _nodes = [];

    public RedisClusterFixture()
    {
        Dir = Path.Combine(Path.GetTempPath(), "conveyor-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var port = RedisProcess.FreePort();
                var node = new RedisProcess(port, Path.Combine(Dir, $"n{i}"),
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000");
                _nodes.Add(node);
                node.Start();
            }
            Create();
            WaitForOk();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Dir { get; }
    public IReadOnlyList<int> Ports => _nodes.Select(n => n.Port).ToList();
    /// <summary>Sends an inline command to one node (e.g. <c>CONFIG SET maxmemory-policy allkeys-lru</c>).</summary>
    public string Command(int node, string inline) => _nodes[node].Command(inline);

    public string ConnectionString => string.Join(",", _nodes.Select(n => $"127.0.0.1:{n.Port}"));

    private void Create()
    {
        var psi = new ProcessStartInfo(RedisProcess.CliBinary())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--cluster");
        psi.ArgumentList.Add("create");
        foreach (var n in _nodes) psi.ArgumentList.Add($"127.0.0.1:{n.Port}");
        psi.ArgumentList.Add("--cluster-replicas");
        psi.ArgumentList.Add("0");
        psi.ArgumentList.Add("--cluster-yes");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("redis-cli did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); throw new InvalidOperationException("redis-cli --cluster create hung"); }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"redis-cli --cluster create failed ({p.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
    }

    private void WaitForOk()
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            if (_nodes.All(n => n.Command("CLUSTER INFO").Contains("cluster_state:ok", StringComparison.Ordinal))) return;
            Thread.Sleep(100);
        }
        throw new InvalidOperationException("the Redis Cluster did not reach cluster_state:ok within 30 s");
    }

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
