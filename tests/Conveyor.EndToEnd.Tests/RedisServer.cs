using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port with "acknowledged means durable" persistence
/// (<c>appendonly yes</c>, <c>appendfsync always</c>) in its own directory. <see cref="Kill9"/> and
/// <see cref="Start"/> again on the same port and directory is a Redis crash and restart.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    private readonly string[] _extraArgs;

    /// <param name="extraArgs">More redis-server options, after the defaults (a later option wins: <c>--maxmemory-policy allkeys-lru</c>).</param>
    public RedisServer(string dir, params string[] extraArgs)
    {
        Dir = dir;
        Port = TestEnvironment.FreePort();
        _extraArgs = extraArgs;
    }

    /// <summary>
    /// A redis-server bound to <paramref name="host"/> and started under <paramref name="wrapper"/>
    /// (<c>ip netns exec NAME</c>: Redis inside a network namespace the test made).
    /// </summary>
    public RedisServer(string dir, string host, string[] wrapper, params string[] extraArgs)
        : this(dir, extraArgs)
    {
        Host = host;
        _wrapper = wrapper;
    }

    private readonly string[] _wrapper = [];

    /// <summary>The address it binds to and is reached at (127.0.0.1 unless given).</summary>
    public string Host { get; } = "127.0.0.1";

    public string Dir { get; }
    public int Port { get; }
    public string Url => $"redis://{Host}:{Port}";

    public void Start()
    {
        Directory.CreateDirectory(Dir);
        var psi = new ProcessStartInfo(_wrapper.Length > 0 ? _wrapper[0] : Binary())
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (_wrapper.Length > 0) foreach (var a in (string[])[.. _wrapper.Skip(1), Binary()]) psi.ArgumentList.Add(a);
        foreach (var a in (string[])["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", Host, "--protected-mode", "yes",
                     "--dir", Dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction"])
            psi.ArgumentList.Add(a);
        foreach (var a in _extraArgs) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until && !_process.HasExited)
        {
            if (Ping()) return;
            Thread.Sleep(50);
        }
        string log;
        lock (_output) log = _output.ToString();
        throw new InvalidOperationException($"redis-server on {Host}:{Port} did not come up. Its output:\n{log}");
    }

    /// <summary>SIGKILL: no shutdown save, no goodbye to clients.</summary>
    public void Kill9()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    /// <summary>Sends one command (RESP) and returns the first line of the reply, e.g. <c>+OK</c>.</summary>
    public string Command(params string[] args)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Parse(Host), Port);
        using var stream = client.GetStream();
        stream.ReadTimeout = 5000;
        var request = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args) request.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        stream.Write(Encoding.UTF8.GetBytes(request.ToString()));
        var buffer = new byte[4096];
        var n = stream.Read(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n).Split("\r\n")[0];
    }

    private bool Ping()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Parse(Host), Port);
            using var stream = client.GetStream();
            stream.ReadTimeout = 2000;
            stream.Write("PING\r\n"u8);
            var buffer = new byte[64];
            var n = stream.Read(buffer);
            // While the AOF loads Redis answers -LOADING: not up yet.
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    private static string Binary()
    {
        var fromEnv = Environment.GetEnvironmentVariable("CONVEYOR_REDIS_SERVER");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv)) return fromEnv;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException(
            "'redis-server' was not found on PATH (or CONVEYOR_REDIS_SERVER). This end-to-end test runs a real Redis: " +
            "install it (apt-get install -y redis-server, or run ./test.sh which does) and run the tests again.");
    }

    public void Dispose() => Kill9();
}
