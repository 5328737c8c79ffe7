using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Conveyor.Tests.RabbitMq;

/// <summary>
/// One real <c>rabbitmq-server</c> from Debian's package on free loopback ports (AMQP, the Erlang
/// distribution port and its own epmd, all bound to 127.0.0.1), in a temporary folder that belongs to
/// the <c>rabbitmq</c> user when the tests run as root. No plugins. Its vhosts (<see cref="VhostCount"/>
/// of them, "v1".."vN") and one user with rights on each are loaded from a definitions file at boot, so
/// a test class takes a vhost of its own without a slow <c>rabbitmqctl</c>. It takes a few seconds to
/// start (tens under load): share one per test run. Killed, with its epmd, on dispose.
/// </summary>
internal sealed class RabbitMqServer : IDisposable
{
    public const string User = "conveyor";
    public const string Password = "conveyor-test";
    public const int VhostCount = 24;

    private static int _nextVhost;
    private Process? _server;
    private Process? _epmd;
    private readonly StringBuilder _output = new();

    public RabbitMqServer(string? dir = null)
    {
        Dir = dir ?? Directory.CreateTempSubdirectory("conveyor-rabbitmq-").FullName;
        Port = FreePort();
        DistPort = FreePort();
        EpmdPort = FreePort();
        NodeName = $"conveyor{Port}@localhost";
    }

    public string Dir { get; }
    public int Port { get; }
    public int DistPort { get; }
    public int EpmdPort { get; }
    public string NodeName { get; }
    public bool IsRunning => _server is { HasExited: false };

    /// <summary>The AMQP URL of a vhost, as <c>--store rabbitmq://…</c> takes it (without the records).</summary>
    public string Url(string vhost) => $"rabbitmq://{User}:{Password}@127.0.0.1:{Port}/{vhost}";

    /// <summary>A vhost no other test class of this run uses.</summary>
    public static string TakeVhost()
    {
        var n = Interlocked.Increment(ref _nextVhost);
        if (n > VhostCount) throw new InvalidOperationException($"more than {VhostCount} test classes took a RabbitMQ vhost: raise RabbitMqServer.VhostCount");
        return "v" + n;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsRoot => Environment.UserName == "root";

    public void Start()
    {
        if (!File.Exists("/usr/lib/rabbitmq/bin/rabbitmq-server"))
            throw new InvalidOperationException("rabbitmq-server is not installed: apt-get install -y rabbitmq-server (./test.sh does)");
        foreach (var sub in new[] { "mnesia", "log" }) Directory.CreateDirectory(Path.Combine(Dir, sub));
        File.WriteAllText(Path.Combine(Dir, "enabled_plugins"), "[].");
        File.WriteAllText(Path.Combine(Dir, "definitions.json"), Definitions());
        File.WriteAllText(Path.Combine(Dir, "rabbitmq.conf"), $"load_definitions = {Path.Combine(Dir, "definitions.json")}\nloopback_users = none\n");
        // The Erlang cookie: its own, in the folder that is its HOME.
        var cookie = Path.Combine(Dir, ".erlang.cookie");
        if (!File.Exists(cookie)) File.WriteAllText(cookie, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the RabbitMQ tests run on Linux (Debian's rabbitmq-server)");
        File.SetUnixFileMode(cookie, UnixFileMode.UserRead);
        File.SetUnixFileMode(Dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (IsRoot) Run("chown", "-R", "rabbitmq:rabbitmq", Dir);

        // Its own epmd, started (and so stopped) by us; the node would otherwise start a daemon that outlives it.
        _epmd ??= StartProcess("/usr/bin/epmd", ["-port", EpmdPort.ToString(), "-address", "127.0.0.1"], []);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Answers(EpmdPort) && DateTime.UtcNow < until) Thread.Sleep(20);
        Restart();
    }

    /// <summary>Starts the server again on the same folder and ports (after <see cref="Kill"/>): its durable queues and persistent messages come back.</summary>
    public void Restart()
    {
        lock (_output) _output.Clear();
        var env = new Dictionary<string, string>
        {
            ["HOME"] = Dir,
            ["RABBITMQ_NODE_PORT"] = Port.ToString(),
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_DIST_PORT"] = DistPort.ToString(),
            ["RABBITMQ_NODENAME"] = NodeName,
            ["ERL_EPMD_PORT"] = EpmdPort.ToString(),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(Dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(Dir, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(Dir, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(Dir, "rabbitmq"),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };
        string[] command = IsRoot
            ? ["/usr/sbin/runuser", "-u", "rabbitmq", "--", "/usr/lib/rabbitmq/bin/rabbitmq-server"]
            : ["/usr/lib/rabbitmq/bin/rabbitmq-server"];
        _server = StartProcess(command[0], command[1..], env);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (_server.HasExited) break;
            if (Output.Contains("Starting broker... completed", StringComparison.Ordinal) && Answers(Port)) return;
            Thread.Sleep(100);
        }
        var log = Output;
        Kill();
        throw new InvalidOperationException($"rabbitmq-server on 127.0.0.1:{Port} did not come up within 90 s. Its output:\n{log}");
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    private static bool Answers(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>kill -9 of the server and everything it started (not its epmd, which a restart reuses).</summary>
    public void Kill()
    {
        if (_server is { } p) KillGroup(p);
    }

    public void Dispose()
    {
        Kill();
        if (_epmd is { } e) KillGroup(e);
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Starts <paramref name="file"/> in a process group of its own under a watchdog shell that holds our
    /// end of a pipe: when this test process ends, however it ends, the pipe closes and the watchdog kills
    /// the whole group (the server runs as grandchildren of runuser, which a kill of one pid would miss).
    /// </summary>
    private Process StartProcess(string file, string[] args, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("/usr/bin/setsid")
        {
            WorkingDirectory = Dir, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in (string[])["/bin/sh", "-c", "\"$@\" & cat >/dev/null; kill -KILL 0", "watchdog", file, .. args]) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        p.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>kill -9 of a watchdog's whole process group (its pid is the group's id: setsid).</summary>
    private static void KillGroup(Process p)
    {
        if (p.HasExited) return;
        using (var k = Process.Start(new ProcessStartInfo("/bin/kill", ["-KILL", "--", "-" + p.Id]) { UseShellExecute = false })) k?.WaitForExit();
        p.WaitForExit(10_000);
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}");
    }

    /// <summary>The vhosts, the user (its password hashed as rabbit_password_hashing_sha256 does) and its rights.</summary>
    private static string Definitions()
    {
        var salt = RandomNumberGenerator.GetBytes(4);
        var hash = SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(Password)]);
        var vhosts = Enumerable.Range(1, VhostCount).Select(i => "v" + i).Prepend("/").ToList();
        return JsonSerializer.Serialize(new
        {
            users = new[] { new { name = User, password_hash = Convert.ToBase64String([.. salt, .. hash]), hashing_algorithm = "rabbit_password_hashing_sha256", tags = "administrator" } },
            vhosts = vhosts.Select(v => new { name = v }),
            permissions = vhosts.Select(v => new { user = User, vhost = v, configure = ".*", write = ".*", read = ".*" }),
        });
    }
}
