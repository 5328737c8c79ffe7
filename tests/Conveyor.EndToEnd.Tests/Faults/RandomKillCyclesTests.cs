using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// kill -9 at random instants, many cycles, on one real Redis (AOF, <c>appendfsync always</c>): two
/// brokers, an HTTP worker on each and a worker straight on Redis, while producers submit through both
/// brokers. Each cycle picks a victim at random (a broker, a worker or <c>redis-server</c>), kills it
/// with SIGKILL at a random instant and starts it again on the same port (and AOF) after a random
/// pause. The seed is printed, so a failing run can be replayed. The loss checker judges the run.
/// </summary>
public sealed class RandomKillCyclesTests(ITestOutputHelper output) : IDisposable
{
    private const int Cycles = 8;
    private static readonly JsonElement SleepArgs = JsonDocument.Parse("{\"ms\":30}").RootElement.Clone();
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Random_kill9_cycles_of_brokers_workers_and_redis_lose_nothing_acknowledged()
    {
        var seed = Environment.GetEnvironmentVariable("CONVEYOR_FAULT_SEED") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        output.WriteLine($"seed {seed} (CONVEYOR_FAULT_SEED={seed} replays this run's choices)");
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        redis.Start();
        int[] ports = [TestEnvironment.FreePort(), TestEnvironment.FreePort()];
        var urls = ports.Select(p => $"http://127.0.0.1:{p}").ToArray();
        string[] logs = [.. new[] { "a", "b", "direct" }.Select(w => FaultSupport.ExecutionLog(_env, w))];
        string[] WorkerArgs(params string[] target) => ["worker", .. target, "--concurrency", "8", "--lease-duration", "3s"];
        // The victims: how each starts, and what it prints when it is up.
        var starts = new Func<ConveyorProcess>[]
        {
            () => ConveyorProcess.Start(_env.Directory, "server", "--port", ports[0].ToString(CultureInfo.InvariantCulture), "--store", redis.Url),
            () => ConveyorProcess.Start(_env.Directory, "server", "--port", ports[1].ToString(CultureInfo.InvariantCulture), "--store", redis.Url),
            () => ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(logs[0]), WorkerArgs("--broker", urls[0])),
            () => ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(logs[1]), WorkerArgs("--broker", urls[1])),
            () => ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(logs[2]), WorkerArgs("--store", redis.Url)),
        };
        string[] names = ["broker A", "broker B", "worker A (HTTP)", "worker B (HTTP)", "direct worker", "redis-server"];
        string[] ready = ["Conveyor is running", "Conveyor is running", "worker ", "worker ", "worker "];
        var procs = starts.Select(f => f()).ToArray();
        var (clientA, httpA) = TestEnvironment.Client(urls[0]);
        var (clientB, httpB) = TestEnvironment.Client(urls[1]);
        httpA.Timeout = httpB.Timeout = TimeSpan.FromSeconds(5);
        using var disposeA = httpA;
        using var disposeB = httpB;
        ConveyorClient[] clients = [clientA, clientB];
        var log = new SubmissionLog();
        var kills = new List<string>();
        try
        {
            for (var i = 0; i < procs.Length; i++) await procs[i].WaitForOutput(ready[i]);
            using var stop = new CancellationTokenSource();
            var submitter = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var ok = await log.SubmitMany(clients[i % 2], [.. Enumerable.Range(0, 10).Select(_ => new TaskSubmission { Type = "sleep", Args = SleepArgs })]);
                    await Task.Delay(ok ? 40 : 150);
                }
            });

            for (var cycle = 1; cycle <= Cycles; cycle++)
            {
                await Task.Delay(random.Next(500, 2500));
                var victim = random.Next(names.Length);
                var down = random.Next(300, 1500);
                if (victim == names.Length - 1)
                {
                    redis.Kill9();
                    await Task.Delay(down);
                    redis.Start();
                }
                else
                {
                    procs[victim].Kill9();
                    await procs[victim].DisposeAsync();
                    await Task.Delay(down);
                    procs[victim] = starts[victim]();
                    await procs[victim].WaitForOutput(ready[victim]);
                }
                kills.Add($"{names[victim]} ({down} ms down)");
                output.WriteLine($"cycle {cycle}: kill -9 {names[victim]}, started again after {down} ms; {log.Count(SubmitOutcome.Acknowledged)} acknowledged so far");
            }
            await Task.Delay(1500);
            await stop.CancelAsync();
            await submitter;

            foreach (var http in new[] { httpA, httpB }) await FaultSupport.WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(30));
            await FaultSupport.WaitAllDone(clientA, TimeSpan.FromSeconds(120));
            var report = await Histories.Check(clientA, log, logs);
            output.WriteLine($"redis random kill -9, {Cycles} cycles ({string.Join(", ", kills)}): {report}");
            report.AssertSafe();
            Assert.True(report.Acknowledged > 500, report.ToString());
            for (var i = 0; i < procs.Length; i++) Assert.False(procs[i].HasExited, $"{names[i]} exited by itself:\n{procs[i].Output}");
        }
        catch
        {
            for (var i = 0; i < procs.Length; i++) output.WriteLine($"--- {names[i]} ---\n{procs[i].Output}");
            throw;
        }
        finally
        {
            foreach (var p in procs) await p.DisposeAsync();
        }
    }

    public void Dispose() => _env.Dispose();
}
