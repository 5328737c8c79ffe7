using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// The scale-out deployment with real processes on one real Redis (AOF, <c>appendfsync always</c>):
/// two brokers, two workers over HTTP (one per broker) and one worker straight on Redis.
/// Phase 1: 2,000 tasks submitted through both brokers while one HTTP worker and one broker are
/// killed with SIGKILL (the broker is started again on its port). Phase 2: Redis itself is killed
/// and restarted while submissions continue. Only acknowledged submissions count; every one must end
/// succeeded, a task may run twice only after a lease of it expired (or was released), and every
/// surviving process reconnects and keeps working by itself.
/// </summary>
public sealed class RedisClusterOfProcessesTests(ITestOutputHelper output) : IDisposable
{
    private static readonly JsonElement SleepArgs = JsonDocument.Parse("{\"ms\":50}").RootElement.Clone();
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
        await using var workerA = ConveyorProcess.Start(_env.Directory, WorkerArgs("--broker", urlA));
        await using var workerB = ConveyorProcess.Start(_env.Directory, WorkerArgs("--broker", urlB));
        await using var workerDirect = ConveyorProcess.Start(_env.Directory, WorkerArgs("--store", redis.Url));
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
            var phase1 = new ConcurrentBag<string>();
            var failed1 = 0;
            var submitter1 = Task.Run(async () =>
            {
                for (var i = 0; phase1.Count < 2000; i++)
                {
                    var batch = Enumerable.Range(0, Math.Min(50, 2000 - phase1.Count)).Select(_ => new TaskSubmission { Type = "sleep", Args = SleepArgs }).ToList();
                    if (!await TrySubmit(clients[i % 2], batch, phase1)) Interlocked.Increment(ref failed1);
                    await Task.Delay(100);
                }
            });

            await WaitForRunningWorker(clientA, workerA);
            workerA.Kill9();
            output.WriteLine("phase 1: killed HTTP worker A while it held tasks");
            await CrashRecoveryTests.WaitUntil(async () => await Count(clientA, q => q.Succeeded) >= 300, TimeSpan.FromSeconds(60), "300 tasks succeeded");
            brokerB.Kill9();
            output.WriteLine("phase 1: killed broker B");
            await Task.Delay(1500);
            await brokerB.DisposeAsync();
            brokerB = ConveyorProcess.Start(_env.Directory, ServerArgs(portB));
            await brokerB.WaitForOutput("Conveyor is running");
            output.WriteLine("phase 1: started broker B again on its port");
            await submitter1;
            Assert.Equal(2000, phase1.Count);
            await WaitForAllDone(clientA);
            var report1 = await CheckSucceeded(clientA, phase1);
            output.WriteLine($"phase 1: {phase1.Count} acknowledged ({failed1} batches refused while broker B was down); {report1}");
            Assert.True(report1.AfterLeaseExpired > 0, "worker A was killed holding tasks: they must have run again after their leases expired");

            // ---- Phase 2: Redis is killed and restarted while submissions continue.
            var phase2 = new ConcurrentBag<string>();
            var failed2 = 0;
            using var stopSubmitting = new CancellationTokenSource();
            var submitter2 = Task.Run(async () =>
            {
                for (var i = 0; !stopSubmitting.IsCancellationRequested; i++)
                {
                    var batch = Enumerable.Range(0, 10).Select(_ => new TaskSubmission { Type = "sleep", Args = SleepArgs }).ToList();
                    if (!await TrySubmit(clients[i % 2], batch, phase2)) Interlocked.Increment(ref failed2);
                    await Task.Delay(50);
                }
            });
            await CrashRecoveryTests.WaitUntil(() => Task.FromResult(phase2.Count >= 200), TimeSpan.FromSeconds(30), "200 phase-2 submissions acknowledged");
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
                Assert.True(p.Output.Contains("reconnecting in the background", StringComparison.Ordinal), $"{name} did not log that Redis went away:\n{p.Output}");
            redis.Start();
            output.WriteLine("phase 2: started redis-server again (same port, same AOF)");
            foreach (var http in new[] { httpA, httpB })
                await WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(30));
            output.WriteLine("phase 2: both brokers answer /readyz 200 again");
            foreach (var (p, name) in new[] { (brokerA, "broker A"), (brokerB, "broker B"), (workerDirect, "direct worker") })
                await p.WaitForOutput(") restored", TimeSpan.FromSeconds(30));
            await Task.Delay(2000);
            await stopSubmitting.CancelAsync();
            await submitter2;

            // Work submitted after the restart must be done by the surviving workers, unaided.
            var after = new ConcurrentBag<string>();
            for (var i = 0; i < 4; i++)
            {
                var batch = Enumerable.Range(0, 50).Select(_ => new TaskSubmission { Type = "sleep", Args = SleepArgs }).ToList();
                foreach (var r in await clients[i % 2].SubmitMany(batch)) after.Add(r.Task.Id);
            }
            await WaitForAllDone(clientA);
            var lost = new List<string>();
            foreach (var id in phase1)
                if (await clientA.Get(id) is null) lost.Add(id);
            Assert.True(lost.Count == 0, $"{lost.Count} phase-1 tasks were lost across the Redis restart, e.g. {string.Join(", ", lost.Take(5))}");
            var report2 = await CheckSucceeded(clientA, phase2);
            var reportAfter = await CheckSucceeded(clientA, after);
            output.WriteLine($"phase 2: {phase2.Count} acknowledged ({failed2} batches refused while Redis was away); {report2}");
            output.WriteLine($"after the restart: {after.Count} acknowledged; {reportAfter}");
            Assert.True(phase2.Count > 200, "submissions acknowledged after Redis came back");

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

    /// <summary>Submits one batch; the ids count as acknowledged only when the broker answered.</summary>
    private static async Task<bool> TrySubmit(ConveyorClient client, List<TaskSubmission> batch, ConcurrentBag<string> acknowledged)
    {
        try
        {
            foreach (var r in await client.SubmitMany(batch)) acknowledged.Add(r.Task.Id);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ConveyorApiException)
        {
            await Task.Delay(100);
            return false;
        }
    }

    private sealed record HistoryReport(int Tasks, int RanMoreThanOnce, int AfterLeaseExpired, int AfterRelease)
    {
        public override string ToString() =>
            $"all {Tasks} succeeded; {RanMoreThanOnce} ran more than once ({AfterLeaseExpired} after an expired lease, {AfterRelease} after a release)";
    }

    /// <summary>
    /// Every task succeeded, and a task ran more than once only where an earlier lease of it expired
    /// or was released: every attempt before the last one must say so.
    /// </summary>
    private static async Task<HistoryReport> CheckSucceeded(ConveyorClient client, IEnumerable<string> ids)
    {
        int tasks = 0, repeated = 0, expired = 0, released = 0;
        foreach (var id in ids.Distinct())
        {
            tasks++;
            var t = await client.Get(id);
            Assert.True(t is not null, $"acknowledged task {id} is gone");
            Assert.True(t.State == TaskState.Succeeded, $"task {id} ended {t.State}, not succeeded");
            Assert.Equal(AttemptOutcome.Succeeded, t.Attempts[^1].Outcome);
            if (t.Attempts.Count == 1) continue;
            repeated++;
            foreach (var a in t.Attempts.Take(t.Attempts.Count - 1))
                Assert.True(a.Outcome is AttemptOutcome.LeaseExpired or AttemptOutcome.Released,
                    $"task {id} ran again after an attempt that ended {a.Outcome}: {string.Join("; ", t.Attempts)}");
            if (t.Attempts.Any(a => a.Outcome == AttemptOutcome.LeaseExpired)) expired++;
            else released++;
        }
        return new HistoryReport(tasks, repeated, expired, released);
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

    private static async Task WaitForRunningWorker(ConveyorClient client, ConveyorProcess worker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var running = await client.List(new TaskListParams(State: TaskState.Running, Limit: 1000));
            if (running.Items.Any(t => t.WorkerId?.Contains($":{worker.Pid}:", StringComparison.Ordinal) == true)) return;
            await Task.Delay(20);
        }
        throw new TimeoutException("worker A never held running tasks");
    }

    public void Dispose() => _env.Dispose();
}
