using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Tests.RabbitMq;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// RabbitMQ + Redis with real processes, while producers submit through the broker: kill -9 of an HTTP
/// worker holding tasks, kill -9 of the broker, and kill -9 of rabbitmq-server started again on the same
/// folder (a RabbitMQ restart mid-run); the loss checker judges the run (0 lost, 0 unexpected,
/// duplicates only after expired leases). About 90 s (RabbitMQ starts twice); its own collection,
/// ports and folders, so it runs beside the other tests.
/// </summary>
[Collection(nameof(RabbitMqFaultTests))]
public sealed class RabbitMqFaultTests(ITestOutputHelper output) : IDisposable
{
    private static readonly JsonElement SleepArgs = JsonDocument.Parse("{\"ms\":50}").RootElement.Clone();
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Kill9_of_a_worker_the_broker_and_rabbitmq_loses_nothing_acknowledged()
    {
        using var rabbit = new RabbitMqServer(Path.Combine(_env.Directory, "rabbitmq"));
        rabbit.Start();
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        redis.Start();
        var store = $"{rabbit.Url("v1")}?records={redis.Url}";
        var (port, url) = FaultSupport.Loopback();
        string[] logs = [.. new[] { "a", "b", "direct" }.Select(w => FaultSupport.ExecutionLog(_env, w))];
        string[] WorkerArgs(params string[] target) => ["worker", .. target, "--concurrency", "8", "--lease-duration", "3s"];
        var starts = new Func<ConveyorProcess>[]
        {
            () => ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", store),
            () => ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(logs[0]), WorkerArgs("--broker", url)),
            () => ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(logs[1]), WorkerArgs("--broker", url)),
            () => ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(logs[2]), WorkerArgs("--store", store)),
        };
        string[] names = ["broker", "worker A (HTTP)", "worker B (HTTP)", "direct worker"];
        string[] ready = ["Conveyor is running", "worker ", "worker ", "worker "];
        var procs = starts.Select(f => f()).ToArray();
        var (client, http) = TestEnvironment.Client(url);
        http.Timeout = TimeSpan.FromSeconds(5);
        using var disposeHttp = http;
        var log = new SubmissionLog();
        try
        {
            for (var i = 0; i < procs.Length; i++) await procs[i].WaitForOutput(ready[i]);
            using var stop = new CancellationTokenSource();
            var submitter = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var ok = await log.SubmitMany(client, [.. Enumerable.Range(0, 10).Select(_ => new TaskSubmission { Type = "sleep", Args = SleepArgs })]);
                    await Task.Delay(ok ? 40 : 150);
                }
            });

            // 1. kill -9 of an HTTP worker in the middle of its tasks (8 slots busy with a steady stream).
            await Task.Delay(2000);
            await Restart(procs, starts, ready, 1, TimeSpan.FromMilliseconds(800));
            output.WriteLine($"worker A killed and started again; {log.Count(SubmitOutcome.Acknowledged)} acknowledged so far");

            // 2. kill -9 of the broker (it holds consumers with unacknowledged messages, and the workers' leases).
            await Task.Delay(2000);
            await Restart(procs, starts, ready, 0, TimeSpan.FromMilliseconds(800));
            output.WriteLine($"broker killed and started again; {log.Count(SubmitOutcome.Acknowledged)} acknowledged so far");

            // 3. kill -9 of rabbitmq-server, started again on the same folder: persistent messages come back,
            // the clients reconnect by themselves, and what was recorded meanwhile waits in the outbox.
            await Task.Delay(2000);
            rabbit.Kill();
            await Task.Delay(1000);
            rabbit.Restart();
            output.WriteLine($"rabbitmq-server killed and started again; {log.Count(SubmitOutcome.Acknowledged)} acknowledged so far");

            await Task.Delay(4000);
            await stop.CancelAsync();
            await submitter;
            await FaultSupport.WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(60));
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(120));
            var report = await Histories.Check(client, log, logs);
            output.WriteLine($"rabbitmq: kill -9 of a worker, the broker and rabbitmq-server: {report}");
            report.AssertSafe();
            Assert.True(report.Acknowledged > 200, report.ToString());
            for (var i = 0; i < procs.Length; i++) Assert.False(procs[i].HasExited, $"{names[i]} exited by itself:\n{procs[i].Output}");
        }
        catch
        {
            for (var i = 0; i < procs.Length; i++) output.WriteLine($"--- {names[i]} ---\n{procs[i].Output}");
            output.WriteLine("--- rabbitmq-server ---\n" + rabbit.Output);
            throw;
        }
        finally
        {
            foreach (var p in procs) await p.DisposeAsync();
        }
    }

    private static async Task Restart(ConveyorProcess[] procs, Func<ConveyorProcess>[] starts, string[] ready, int victim, TimeSpan down)
    {
        procs[victim].Kill9();
        await procs[victim].DisposeAsync();
        await Task.Delay(down);
        procs[victim] = starts[victim]();
        await procs[victim].WaitForOutput(ready[victim], TimeSpan.FromSeconds(60));
    }

    public void Dispose() => _env.Dispose();
}
