using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// SIGSTOP with real processes on a SQLite broker. A worker frozen past its lease: another worker
/// takes its tasks when the leases expire, and when the frozen one is continued (SIGCONT) its late
/// acknowledgements are fenced, so each task's outcome is the attempt that replaced it. A broker
/// frozen mid-request: clients time out (unknown) rather than being told a lie, nothing acknowledged
/// is lost, and the broker carries on when continued.
/// </summary>
public sealed class SigstopTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_worker_paused_past_its_lease_is_fenced_when_continued_and_the_replacing_attempt_is_the_outcome()
    {
        var (port, url) = FaultSupport.Loopback();
        string logA = FaultSupport.ExecutionLog(_env, "a"), logB = FaultSupport.ExecutionLog(_env, "b");
        await using var server = await FaultSupport.StartBroker(_env, port, _env.DatabasePath);
        var (client, http) = TestEnvironment.Client(url);
        using var disposeHttp = http;
        // Worker A alone first, so that it holds tasks when it is frozen.
        await using var workerA = FaultSupport.StartWorker(_env, logA, "--broker", url, "--concurrency", "4", "--lease-duration", "2s");
        await workerA.WaitForOutput("worker ");
        var log = new SubmissionLog();
        var sleep = JsonDocument.Parse("{\"ms\":1500}").RootElement.Clone();
        Assert.True(await log.SubmitMany(client, [.. Enumerable.Range(0, 40).Select(_ => new TaskSubmission { Type = "sleep", Args = sleep })]), log.LastProblem?.Message);
        ConveyorProcess? workerB = null;
        try
        {
            var held = await FaultSupport.PauseRunning(client, workerA, logA, atLeast: 2);
            output.WriteLine($"SIGSTOP worker A holding {held.Count} tasks");
            workerB = FaultSupport.StartWorker(_env, logB, "--broker", url, "--concurrency", "4", "--lease-duration", "2s");
            // Past the lease: B takes A's tasks over once their leases expire, and finishes them.
            await CrashRecoveryTests.WaitUntil(async () => (await Task.WhenAll(held.Select(id => client.Get(id)))).All(t => t!.State == TaskState.Succeeded),
                TimeSpan.FromSeconds(60), "worker A's tasks succeeded elsewhere");
            workerA.Resume();
            output.WriteLine("SIGCONT worker A");
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(60));
            await Task.Delay(2500); // A's handlers (1.5 s sleeps) end and it tries to acknowledge them: fenced

            foreach (var id in held)
            {
                var t = (await client.Get(id))!;
                Assert.Equal(TaskState.Succeeded, t.State);
                Assert.True(t.Attempts.Count >= 2, $"{id}: {t.Attempts.Count} attempts");
                Assert.Equal(AttemptOutcome.LeaseExpired, t.Attempts[0].Outcome);
                Assert.Contains($":{workerA.Pid}:", t.Attempts[0].WorkerId, StringComparison.Ordinal);
                Assert.Equal(AttemptOutcome.Succeeded, t.Attempts[^1].Outcome);
                Assert.DoesNotContain($":{workerA.Pid}:", t.Attempts[^1].WorkerId, StringComparison.Ordinal);
            }
            Assert.False(workerA.HasExited, $"worker A did not carry on after SIGCONT:\n{workerA.Output}");
            var report = await Histories.Check(client, log, logA, logB);
            output.WriteLine($"sqlite SIGSTOP of a worker past its 2 s lease, then SIGCONT: {report}");
            report.AssertSafe();
            Assert.True(report.DuplicatedAfterExpiredLease >= held.Count, report.ToString());
        }
        catch
        {
            FaultSupport.Dump(output, ("server", server), ("worker A", workerA), ("worker B", workerB));
            throw;
        }
        finally
        {
            if (workerB is not null) await workerB.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_broker_paused_mid_request_times_clients_out_loses_nothing_acknowledged_and_carries_on()
    {
        var (port, url) = FaultSupport.Loopback();
        var executions = FaultSupport.ExecutionLog(_env);
        await using var server = await FaultSupport.StartBroker(_env, port, _env.DatabasePath);
        await using var worker = FaultSupport.StartWorker(_env, executions, "--broker", url, "--concurrency", "8");
        using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(2) };
        var client = new ConveyorClient(http);
        var log = new SubmissionLog();
        try
        {
            using var stop = new CancellationTokenSource();
            var submitter = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await log.SubmitMany(client, FaultSupport.Noops(10));
                    await Task.Delay(20);
                }
            });
            await CrashRecoveryTests.WaitUntil(() => Task.FromResult(log.Count(SubmitOutcome.Acknowledged) >= 200), TimeSpan.FromSeconds(30), "200 acknowledged");
            server.Pause();
            output.WriteLine("SIGSTOP the broker");
            await Task.Delay(5000); // longer than the client's 2 s timeout
            var unknownWhilePaused = log.Count(SubmitOutcome.Unknown);
            server.Resume();
            output.WriteLine($"SIGCONT the broker ({unknownWhilePaused} submissions timed out while it was paused)");
            await CrashRecoveryTests.WaitUntil(() => Task.FromResult(log.Count(SubmitOutcome.Acknowledged) >= 400), TimeSpan.FromSeconds(30), "400 acknowledged (the broker carries on)");
            await stop.CancelAsync();
            await submitter;
            Assert.True(unknownWhilePaused > 0, "no submission timed out while the broker was paused");

            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(60));
            var report = await Histories.Check(client, log, executions);
            output.WriteLine($"sqlite SIGSTOP of the broker for 5 s mid-request (client timeout 2 s), then SIGCONT: {report}");
            report.AssertSafe();
            Assert.False(worker.HasExited, $"the worker gave up on a paused broker:\n{worker.Output}");
        }
        catch
        {
            FaultSupport.Dump(output, ("server", server), ("worker", worker));
            throw;
        }
    }


    public void Dispose() => _env.Dispose();
}
