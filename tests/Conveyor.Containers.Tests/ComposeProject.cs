using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Conveyor.Containers.Tests;

/// <summary>
/// The project's docker-compose.yml run through compose.test.yml under a unique project name, on
/// free loopback ports. Disposing it always runs <c>docker-compose down -v</c> (containers,
/// network and the Redis volume go; the cached images stay).
/// </summary>
public sealed class ComposeProject : IAsyncDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMinutes(2);
    private readonly Dictionary<string, string> _env;
    private readonly Action<string> _log;

    private ComposeProject(Dictionary<string, string> env, Action<string> log)
    {
        _env = env;
        _log = log;
    }

    public string Name => _env["COMPOSE_PROJECT_NAME"];
    public int BrokerPort { get; private init; }
    public int RedisPort { get; private init; }
    public string Token => _env["CT_TOKEN"];
    public string BrokerUrl => $"http://127.0.0.1:{BrokerPort}";

    /// <summary>The image the compose file builds, tagged for the tests (one tag, so the layer cache is reused).</summary>
    public const string Image = "conveyor-test/conveyor:compose";

    public static async Task<ComposeProject> Create(Action<string> log)
    {
        var images = await TestImages.Ensure();
        int brokerPort = FreePort(), redisPort = FreePort();
        while (redisPort == brokerPort) redisPort = FreePort();
        var env = new Dictionary<string, string>(images)
        {
            ["COMPOSE_PROJECT_NAME"] = "conveyor-ct-" + Guid.NewGuid().ToString("N")[..10],
            ["CT_IMAGE"] = Image,
            ["CT_BROKER_PORT"] = brokerPort.ToString(CultureInfo.InvariantCulture),
            ["CT_REDIS_PORT"] = redisPort.ToString(CultureInfo.InvariantCulture),
            ["CT_TOKEN"] = "ct-" + Guid.NewGuid().ToString("N"),
            // Plain progress lines, no terminal tricks, in the logs kept on failure.
            ["COMPOSE_INTERACTIVE_NO_CLI"] = "1",
        };
        return new ComposeProject(env, log) { BrokerPort = brokerPort, RedisPort = redisPort };
    }

    /// <summary>Runs <c>docker-compose -f docker-compose.yml -f compose.test.yml ARGS</c> and fails on a non-zero exit.</summary>
    public async Task<CommandResult> Compose(TimeSpan timeout, params string[] args)
    {
        var all = new List<string> { "-f", "docker-compose.yml", "-f", "tests/Conveyor.Containers.Tests/compose.test.yml" };
        all.AddRange(args);
        var result = (await Command.Run("docker-compose", all, timeout, _env, Repository.Root)).Ok();
        _log($"docker-compose {string.Join(' ', args)}: {result.Elapsed.TotalSeconds:F1}s");
        return result;
    }

    public Task<CommandResult> Compose(params string[] args) => Compose(Short, args);

    /// <summary>The container ids of a service, in no particular order (stopped ones included).</summary>
    public async Task<IReadOnlyList<string>> Containers(string service) =>
        (await Compose("ps", "-a", "-q", service)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static async Task<string> Docker(params string[] args) =>
        (await Command.Run("docker", args, Short)).Ok().Stdout.Trim();

    public static Task<string> Inspect(string container, string format) => Docker("inspect", "--format", format, container);

    /// <summary>Waits until the container's health check reports healthy (fails at once on unhealthy).</summary>
    public static async Task WaitHealthy(string container, TimeSpan timeout)
    {
        var status = "";
        await Command.Until(async () =>
        {
            status = await Inspect(container, "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}");
            if (status is "unhealthy" or "none") throw new InvalidOperationException($"container {container} is {status}: {await Inspect(container, "{{json .State.Health}}")}");
            return status == "healthy";
        }, timeout, $"container {container} healthy (last: {status})");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Compose("down", "-v", "--remove-orphans", "--timeout", "5");
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            _log($"docker-compose down -v failed: {e.Message}");
        }
    }

    /// <summary>The last lines of every service's log, for a failing test's message.</summary>
    public async Task<string> Logs()
    {
        try { return CommandResult.Tail((await Compose("logs", "--no-color", "--tail", "40")).Output, 12_000); }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException) { return $"(no logs: {e.Message})"; }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
