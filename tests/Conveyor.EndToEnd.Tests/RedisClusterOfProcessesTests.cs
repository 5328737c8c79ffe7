using System.Globalization;
using System.Net;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.EndToEnd.Tests.Faults;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// The scale-out deployment with real processes on one real Redis (AOF, <c>appendfsync always</c>):
/// two brokers, two workers over HTTP (one per broker) and one worker straight on Redis.
/// Phase 1: 2,000 tasks submitted through both brokers while one HTTP worker and one broker are
/// killed with SIGKILL (the broker is started again on its port). Phase 2: Redis itself is killed
/// and restarted while submissions continue. The loss checker (submissions, the workers' execution
/// logs, the final records) must find nothing acknowledged lost, nothing unexpected, and every
/// duplicate after an expired lease; every surviving process reconnects and keeps working by itself.
/// </summary>
public sealed class RedisClusterOfProcessesTests(ITestOutputHelper output) : IDisposable
{
    private static readonly JsonElement SleepArgs = JsonDocument.Parse("{\"ms\":50}").RootElement.Clone();

    /// <summary>The work after the Redis restart: 200 of these keep 16 slots busy for 2.5 s at least, so every worker that leases again within a second or two gets a share.</summary>
    private static readonly JsonElement LongerSleepArgs = JsonDocument.Parse("{\"ms\":200}").RootElement.Clone();
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Brokers_and_workers_on_one_redis_survive_kill9_and_a_redis_restart_without_losing_acknowledged_tasks()
    {
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        redis.Start();
        int portA = TestEnvironment.FreePort(), portB = TestEnvironment.FreePort();
        string urlA = $"http://127.0.0.1:{portA}", urlB = $"http://127.0.0.1:{portB}";
        string[] ServerArgs(int port) => ["server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", redis.Url];
        string[] WorkerArgs(params string[] target) => ["worker", .. target, "--concurrency", "8", "--lease-duration", "3s"];

        var brokerA = ConveyorProcess.Start(_env.Directory, ServerArgs(portA));
        var brokerB = ConveyorProcess.Start(_env.Directory, ServerArgs(portB));
        string[] executionLogs = [.. new[] { "a", "b", "direct" }.Select(w => Path.Combine(_env.Directory, $"executions-{w}.log"))];
        await using var workerA = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(executionLogs[0]), WorkerArgs("--broker", urlA));
        await using var workerB = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(executionLogs[1]), WorkerArgs("--broker", urlB));
        await using var workerDirect = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(executionLogs[2]), WorkerArgs("--store", redis.Url));
        var submissions = new SubmissionLog();
        var (clientA, httpA) = TestEnvironment.Client(urlA);
        var (clientB, httpB) = TestEnvironment.Client(urlB);
        using var disposeA = httpA;
        using var disposeB = httpB;
        ConveyorClient[] clients = [clientA, clientB];
        try
        {
            await brokerA.WaitForOutput("Conveyor is running");
            await brokerB.WaitForOutput("Conveyor is running");
            foreach (var w in new[] { workerA, workerB, workerDirect }) await w.WaitForOutput("worker ");

            // ---- Phase 1: 2,000 tasks through both brokers; kill -9 an HTTP worker and a broker mid-run.
            var failed1 = 0;
            var submitter1 = Task.Run(async () =>
            {
                for (var i = 0; submissions.Count(SubmitOutcome.Acknowledged) < 2000; i++)
                {
                    var batch = Enumerable.Range(0, Math.Min(50, 2000 - submissions.Count(SubmitOutcome.Acknowledged))).Select(_ => new TaskSubmission { Type = "sleep", Args = SleepArgs }).ToList();
                    if (!await submissions.SubmitMany(clients[i % 2], batch)) Interlocked.Increment(ref failed1);
                    await Task.Delay(100);
                }
            });

            // Frozen first while it runs tasks (started, not just leased), so none finishes between the look and the kill.
            var held = await FaultSupport.PauseRunning(clientA, workerA, executionLogs[0]);
            workerA.Kill9();
            output.WriteLine($"phase 1: killed HTTP worker A while it ran {held.Count} tasks");
            await CrashRecoveryTests.WaitUntil(async () => await Count(clientA, q => q.Succeeded) >= 300, TimeSpan.FromSeconds(60), "300 tasks succeeded");
            brokerB.Kill9();
            output.WriteLine("phase 1: killed broker B");
            await Task.Delay(1500);
            await brokerB.DisposeAsync();
            brokerB = ConveyorProcess.Start(_env.Directory, ServerArgs(portB));
            await brokerB.WaitForOutput("Conveyor is running");
            output.WriteLine("phase 1: started broker B again on its port");
            await submitter1;
            var phase1 = submissions.AcknowledgedIds.ToList();
            Assert.Equal(2000, phase1.Count);
            await WaitForAllDone(clientA);
            var report1 = await Histories.Check(clientA, submissions, executionLogs);
            output.WriteLine($"phase 1 (kill -9 of HTTP worker A and broker B; {failed1} batches not acknowledged): {report1}");
            report1.AssertSafe();
            Assert.True(report1.DuplicatedAfterExpiredLease > 0, $"worker A was killed running tasks: they must have run again after their leases expired; {report1}");

            // ---- Phase 2: Redis is killed and restarted while submissions continue.
            var acknowledgedBefore2 = submissions.Count(SubmitOutcome.Acknowledged);
            var failed2 = 0;
            using var stopSubmitting = new CancellationTokenSource();
            var submitter2 = Task.Run(async () =>
            {
                for (var i = 0; !stopSubmitting.IsCancellationRequested; i++)
                {
                    var batch = Enumerable.Range(0, 10).Select(_ => new TaskSubmission { Type = "sleep", Args = SleepArgs }).ToList();
                    if (!await submissions.SubmitMany(clients[i % 2], batch)) Interlocked.Increment(ref failed2);
                    await Task.Delay(50);
                }
            });
            await CrashRecoveryTests.WaitUntil(() => Task.FromResult(submissions.Count(SubmitOutcome.Acknowledged) - acknowledgedBefore2 >= 200), TimeSpan.FromSeconds(30), "200 phase-2 submissions acknowledged");
            redis.Kill9();
            output.WriteLine("phase 2: killed redis-server");
            foreach (var http in new[] { httpA, httpB })
                await WaitForReadyz(http, ready: false, TimeSpan.FromSeconds(15));
            output.WriteLine("phase 2: both brokers answer /readyz 503 while Redis is away");
            await Task.Delay(3000);
            foreach (var (p, name) in new[] { (brokerA, "broker A"), (brokerB, "broker B"), (workerB, "worker B"), (workerDirect, "direct worker") })
                Assert.False(p.HasExited, $"{name} exited while Redis was away:\n{p.Output}");
            // The processes on Redis say so in their logs.
            foreach (var (p, name) in new[] { (brokerA, "broker A"), (brokerB, "broker B"), (workerDirect, "direct worker") })
                Assert.True(p.Output.Contains("keeps trying in the background", StringComparison.Ordinal), $"{name} did not log that Redis went away:\n{p.Output}");
            redis.Start();
            output.WriteLine("phase 2: started redis-server again (same port, same AOF)");
            foreach (var http in new[] { httpA, httpB })
                await WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(30));
            output.WriteLine("phase 2: both brokers answer /readyz 200 again");
            foreach (var (p, name) in new[] { (brokerA, "broker A"), (brokerB, "broker B"), (workerDirect, "direct worker") })
                await p.WaitForOutput("the store is reachable", TimeSpan.FromSeconds(30));
            await Task.Delay(2000);
            await stopSubmitting.CancelAsync();
            await submitter2;

            var phase2 = submissions.Count(SubmitOutcome.Acknowledged) - acknowledgedBefore2;
            // Work submitted after the restart must be done by the surviving workers, unaided.
            var acknowledgedBeforeAfter = submissions.AcknowledgedIds.ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < 4; i++)
                Assert.True(await submissions.SubmitMany(clients[i % 2], [.. Enumerable.Range(0, 50).Select(_ => new TaskSubmission { Type = "sleep", Args = LongerSleepArgs })]), submissions.LastProblem?.Message);
            var after = submissions.AcknowledgedIds.Where(id => !acknowledgedBeforeAfter.Contains(id)).ToList();
            await WaitForAllDone(clientA);
            // The whole run, phase 1 included: nothing acknowledged was lost across the Redis restart (AOF, appendfsync always).
            var report = await Histories.Check(clientA, submissions, executionLogs);
            output.WriteLine($"phase 2 (kill -9 of redis-server; {phase2} acknowledged, {failed2} batches not acknowledged) and after, the whole run: {report}");
            report.AssertSafe();
            Assert.True(phase2 > 200, "submissions acknowledged after Redis came back");

            foreach (var (p, name) in new[] { (brokerA, "broker A"), (brokerB, "broker B"), (workerB, "worker B"), (workerDirect, "direct worker") })
                Assert.False(p.HasExited, $"{name} did not survive the Redis restart:\n{p.Output}");
            var ranAfter = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in after)
                foreach (var a in (await clientA.Get(id))!.Attempts)
                    if (a.WorkerId is { } w) ranAfter.Add(w);
            foreach (var (p, name) in new[] { (workerB, "worker B (HTTP)"), (workerDirect, "the direct worker") })
                Assert.True(ranAfter.Any(w => w.Contains($":{p.Pid}:", StringComparison.Ordinal)), $"{name} ran none of the tasks submitted after the Redis restart; ran by: {string.Join(", ", ranAfter)}");
        }
        catch
        {
            foreach (var (p, name) in new[] { (brokerA, "broker A"), (brokerB, "broker B"), (workerA, "worker A"), (workerB, "worker B"), (workerDirect, "direct worker") })
                output.WriteLine($"--- {name} ---\n{p.Output}");
            throw;
        }
        finally
        {
            await brokerA.DisposeAsync();
            await brokerB.DisposeAsync();
        }
    }

    /// <summary>Nothing pending, scheduled or running, and nothing failed or cancelled: every stored task, acknowledged or not, succeeded.</summary>
    private static async Task WaitForAllDone(ConveyorClient client)
    {
        await CrashRecoveryTests.WaitUntil(async () => await Count(client, q => q.Pending + q.Scheduled + q.Running) == 0, TimeSpan.FromSeconds(90), "every task is finished");
        Assert.Equal(0, await Count(client, q => q.Failed + q.Cancelled));
    }

    private static async Task<long> Count(ConveyorClient client, Func<Conveyor.Client.Protocol.QueueView, long> what) =>
        (await client.Queues()).Where(q => q.Name == "default").Sum(what);

    private static async Task WaitForReadyz(HttpClient http, bool ready, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync("readyz");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if ((response.StatusCode == HttpStatusCode.OK) == ready) return;
            }
            catch (HttpRequestException e) { last = e.Message; }
            await Task.Delay(100);
        }
        Assert.Fail($"{http.BaseAddress}readyz never answered {(ready ? "200" : "non-200")}; last: {last}");
    }

    public void Dispose() => _env.Dispose();
}
