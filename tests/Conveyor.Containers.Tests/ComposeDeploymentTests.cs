using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.Client;
using Conveyor.Model;
using Xunit.Abstractions;

namespace Conveyor.Containers.Tests;

/// <summary>
/// The seeds' deployment, for real: the project's Dockerfile built by docker-compose, then
/// <c>docker-compose up -d --build</c>, <c>--scale worker=5</c>, 500 tasks through the broker's
/// container, one worker container killed mid-run, <c>docker-compose stop</c> while tasks run,
/// everything started again, and every task accounted for.
/// </summary>
public sealed partial class ComposeDeploymentTests(ITestOutputHelper output)
{
    private const int Tasks = 500;
    private const int TaskMs = 2000;
    /// <summary>Tasks that outlast the stop's 1 s drain whatever the machine's load: submitted last, at priority 9.</summary>
    private const int LongTasks = 10;
    private const int LongTaskMs = 8000;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Log(string line) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] {line}");

    [Fact]
    public async Task Five_workers_run_500_tasks_survive_a_killed_worker_and_drain_on_stop()
    {
        await using var project = await ComposeProject.Create(Log);
        Log($"base images ready; project {project.Name}, broker 127.0.0.1:{project.BrokerPort}, redis 127.0.0.1:{project.RedisPort}");
        try
        {
            await Run(project);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{e.Message}\n--- docker-compose logs ---\n{await project.Logs()}", e);
        }
    }

    private async Task Run(ComposeProject project)
    {
        // --- up --build: the image is the project's own Dockerfile, built from the test bases.
        await project.Compose(TimeSpan.FromMinutes(15), "up", "-d", "--build");
        var broker = (await project.Containers("broker")).Single();
        await ComposeProject.WaitHealthy(broker, TimeSpan.FromSeconds(90));
        Log("broker container healthy (its HEALTHCHECK: conveyor health)");

        // The image runs as a non-root user.
        var user = await ComposeProject.Inspect(ComposeProject.Image, "{{.Config.User}}");
        Assert.False(string.IsNullOrEmpty(user) || user is "0" or "root", $"the image's user is '{user}'");
        var uid = await ComposeProject.Docker("exec", broker, "id", "-u");
        Assert.NotEqual("0", uid);
        Log($"image user {user}, id -u in the broker container: {uid}");

        // Redis runs with the compose file's persistence settings.
        var redis = (await project.Containers("redis")).Single();
        Assert.Equal("always", await RedisConfig(project, redis, "appendfsync"));
        Assert.Equal("yes", await RedisConfig(project, redis, "appendonly"));
        Assert.Equal("noeviction", await RedisConfig(project, redis, "maxmemory-policy"));

        // --- up --scale worker=5: five workers announce themselves to the broker.
        await project.Compose("up", "-d", "--scale", "worker=5");
        var http = new HttpClient { BaseAddress = new Uri(project.BrokerUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        using var _ = http;
        var client = new ConveyorClient(http, project.Token);
        var workerContainers = await project.Containers("worker");
        Assert.Equal(5, workerContainers.Count);
        var workerIds = new Dictionary<string, string>(); // container -> worker id, from its first line
        await Command.Until(async () =>
        {
            foreach (var c in workerContainers)
                if (!workerIds.ContainsKey(c) && WorkerLine().Match(await ContainerLog(c)) is { Success: true } m) workerIds[c] = m.Groups[1].Value;
            var live = (await client.Workers()).Select(w => w.Id).ToHashSet();
            return workerIds.Count == 5 && workerIds.Values.All(live.Contains);
        }, TimeSpan.FromSeconds(60), "five worker containers in GET /api/v1/workers",
           async () => $"logged ids: {string.Join(", ", workerIds.Values)}; live: {string.Join(", ", (await client.Workers()).Select(w => w.Id))}");
        Assert.Equal(5, (await client.Workers()).Count);
        Log($"five workers live: {string.Join(", ", workerIds.Values)}");

        // --- 500 sleep tasks through the broker's container: 490 now, 10 long ones before the stop.
        var ids = new List<string>();
        var args = JsonSerializer.SerializeToElement(new { ms = TaskMs });
        for (var left = Tasks - LongTasks; left > 0; left -= 100)
        {
            var results = await client.SubmitMany([.. Enumerable.Range(0, Math.Min(100, left)).Select(_ => new TaskSubmission { Type = "sleep", Args = args })]);
            ids.AddRange(results.Select(r => r.Task.Id));
        }
        Log($"{ids.Count} tasks submitted ({TaskMs} ms each; 5 workers x 10 slots)");

        // --- kill one worker mid-run: the one holding the most running tasks.
        await Command.Until(async () => (await Counts(client)).Succeeded >= 50, TimeSpan.FromSeconds(120), "the first 50 tasks succeed", () => Describe(client));
        // The store knows who holds which lease (heartbeats lag by up to their interval).
        var busiest = (await Running(client)).Where(t => t.WorkerId is not null).GroupBy(t => t.WorkerId!).MaxBy(g => g.Count());
        Assert.NotNull(busiest);
        var victimId = busiest.Key;
        var victim = workerIds.Single(kv => kv.Value == victimId).Key;
        await ComposeProject.Docker("kill", victim);
        Log($"docker kill {victim[..12]} (worker {victimId}, {busiest.Count()} tasks leased); counts then {await Describe(client)}");

        // The killed worker's leases expire (10 s here) and its tasks go back to the queue.
        await Command.Until(async () => !await HoldsLeases(client, victimId), TimeSpan.FromSeconds(120), $"the leases of killed worker {victimId} expire", () => Describe(client));
        Log($"the killed worker's leases expired; counts {await Describe(client)}");

        // --- docker-compose stop while tasks still run: the workers drain (1 s here) and hand the rest back.
        await Command.Until(async () => (await Counts(client)).Succeeded >= 250, TimeSpan.FromSeconds(180), "250 tasks succeed", () => Describe(client));
        var longArgs = JsonSerializer.SerializeToElement(new { ms = LongTaskMs });
        var longIds = (await client.SubmitMany([.. Enumerable.Range(0, LongTasks).Select(_ => new TaskSubmission { Type = "sleep", Args = longArgs, Priority = 9 })]))
            .Select(r => r.Task.Id).ToList();
        ids.AddRange(longIds);
        Assert.Equal(Tasks, ids.Distinct().Count());
        await Command.Until(async () =>
        {
            foreach (var id in longIds) if ((await client.Get(id))?.State != TaskState.Running) return false;
            return true;
        }, TimeSpan.FromSeconds(60), $"the {LongTasks} long tasks run", () => Describe(client));
        var before = await Counts(client);
        Log($"docker-compose stop with {before}");
        await project.Compose("stop");
        foreach (var c in workerContainers.Where(c => c != victim))
        {
            Assert.Equal("0", await ComposeProject.Inspect(c, "{{.State.ExitCode}}"));
            Assert.Contains("stopped after", await ContainerLog(c), StringComparison.Ordinal);
        }

        // Broker and Redis alone again: nothing is left running, nothing is lost or failed.
        await project.Compose("start", "redis");
        await project.Compose("start", "broker");
        await ComposeProject.WaitHealthy(broker, TimeSpan.FromSeconds(60));
        var stopped = await Counts(client);
        Log($"after the stop: {stopped}");
        Assert.Equal(0, stopped.Running);
        Assert.Equal(0, stopped.Failed);
        Assert.Equal(Tasks, stopped.Pending + stopped.Scheduled + stopped.Succeeded);
        Assert.True(stopped.Pending + stopped.Scheduled > 0, "the stop came while work was left");

        // --- the workers come back (the killed one too) and finish everything.
        await project.Compose("start", "worker");
        await Command.Until(async () => (await Counts(client)).Succeeded == Tasks, TimeSpan.FromSeconds(180), $"all {Tasks} tasks succeed", () => Describe(client));
        Log($"all {Tasks} succeeded");

        var records = new List<TaskRecord>();
        foreach (var id in ids) records.Add((await client.Get(id))!);
        Assert.All(records, t => Assert.Equal(TaskState.Succeeded, t.State));
        // Only the killed worker's leases expired, and those tasks still succeeded on a later attempt.
        var expired = records.Where(t => t.Attempts.Any(a => a.Outcome == AttemptOutcome.LeaseExpired)).ToList();
        Assert.NotEmpty(expired);
        Assert.All(expired.SelectMany(t => t.Attempts).Where(a => a.Outcome == AttemptOutcome.LeaseExpired), a => Assert.Equal(victimId, a.WorkerId));
        Assert.DoesNotContain(records.SelectMany(t => t.Attempts), a => a.Outcome == AttemptOutcome.Failed);
        // Tasks handed back by the stop were not charged: their attempt count leaves out every release.
        var released = records.Where(t => t.Attempts.Any(a => a.Outcome == AttemptOutcome.Released)).ToList();
        Assert.Superset(longIds.ToHashSet(), released.Select(t => t.Id).ToHashSet());
        Assert.All(records, t => Assert.Equal(t.Attempts.Count(a => a.Outcome != AttemptOutcome.Released), t.Attempt));
        Assert.All(released.Except(expired), t => Assert.Equal(1, t.Attempt));
        Assert.All(records.Except(expired), t => Assert.Equal(1, t.Attempt));
        Log($"{expired.Count} tasks outlived the killed worker's expired leases; {released.Count} were handed back by the stop, uncharged");
    }

    private static async Task<string> RedisConfig(ComposeProject project, string container, string key)
    {
        var lines = (await ComposeProject.Docker("exec", container, "redis-cli", "-h", "127.0.0.1", "-p", project.RedisPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "config", "get", key)).Split('\n');
        return lines.Length == 2 ? lines[1].Trim() : throw new InvalidOperationException($"CONFIG GET {key}: {string.Join('|', lines)}");
    }

    private static async Task<string> ContainerLog(string container) =>
        (await Command.Run("docker", ["logs", container], TimeSpan.FromSeconds(30))).Ok().Output;

    private sealed record Totals(long Pending, long Scheduled, long Running, long Succeeded, long Failed)
    {
        public override string ToString() => $"pending {Pending}, scheduled {Scheduled}, running {Running}, succeeded {Succeeded}, failed {Failed}";
    }

    private static async Task<Totals> Counts(ConveyorClient client)
    {
        var q = (await client.Queues()).SingleOrDefault(v => v.Name == TaskDefaults.Queue);
        return q is null ? new Totals(0, 0, 0, 0, 0) : new Totals(q.Pending, q.Scheduled, q.Running, q.Succeeded, q.Failed);
    }

    /// <summary>The running tasks (at most 50 slots and their prefetch here: one page holds them).</summary>
    private static async Task<IReadOnlyList<TaskRecord>> Running(ConveyorClient client) =>
        (await client.List(new Conveyor.Store.TaskListParams(State: TaskState.Running, Limit: Conveyor.Store.TaskListParams.MaxLimit))).Items;

    private static async Task<bool> HoldsLeases(ConveyorClient client, string workerId) =>
        (await Running(client)).Any(t => t.WorkerId == workerId);

    private static async Task<string> Describe(ConveyorClient client) => (await Counts(client)).ToString();

    [GeneratedRegex(@"^worker (\S+) on ", RegexOptions.Multiline)]
    private static partial Regex WorkerLine();
}
