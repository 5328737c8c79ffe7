using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>One real <c>redis-server</c> on a loopback port, in a temp directory, killed on dispose.</summary>
internal sealed class RedisProcess : IDisposable
{
    private Process? _process;
    private readonly string[] _extraArgs;

    public RedisProcess(int port, string dir, params string[] extraArgs)
    {
        Port = port;
        Dir = dir;
        _extraArgs = extraArgs;
    }

    public int Port { get; }
    public string Dir { get; }
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The redis-server binary, or a failure that says how to get one (CI installs it).</summary>
    public static string ServerBinary() => Find("redis-server");

    public static string CliBinary() => Find("redis-cli");

    private static string Find(string name)
    {
        var fromEnv = Environment.GetEnvironmentVariable(name == "redis-server" ? "CONVEYOR_REDIS_SERVER" : "CONVEYOR_REDIS_CLI");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv)) return fromEnv;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException(
            $"'{name}' was not found on PATH. The Redis store tests need a real Redis: install it " +
            "(apt-get install -y redis-server redis-tools, or run ./test.sh which does) and run the tests again.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Start()
    {
        Directory.CreateDirectory(Dir);
        var psi = new ProcessStartInfo(ServerBinary())
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", Dir, "--protected-mode", "yes", .. _extraArgs])
            psi.ArgumentList.Add(a);
        var output = new StringBuilder();
        _process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) break;
            if (Command("PING").StartsWith("+PONG", StringComparison.Ordinal)) return;
            Thread.Sleep(50);
        }
        string log;
        lock (output) log = output.ToString();
        Kill();
        throw new InvalidOperationException($"redis-server on 127.0.0.1:{Port} did not come up. Its output:\n{log}");
    }

    /// <summary>Sends one inline command and returns the first reply line ("" when unreachable).</summary>
    public string Command(string inline)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            using var stream = client.GetStream();
            stream.ReadTimeout = 2000;
            var bytes = Encoding.ASCII.GetBytes(inline + "\r\n");
            stream.Write(bytes);
            var buffer = new byte[65536];
            var n = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "";
        }
    }

    public void Kill()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}
