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
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        var url = $"http://127.0.0.1:{port}";
        string logA = Path.Combine(_env.Directory, "executions-a.log"), logB = Path.Combine(_env.Directory, "executions-b.log");
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running");
        var (client, http) = TestEnvironment.Client(url);
        using var disposeHttp = http;
        // Worker A alone first, so that it holds tasks when it is frozen.
        await using var workerA = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(logA), "worker", "--broker", url, "--concurrency", "4", "--lease-duration", "2s");
        await workerA.WaitForOutput("worker ");
        var log = new SubmissionLog();
        var sleep = JsonDocument.Parse("{\"ms\":1500}").RootElement.Clone();
        Assert.True(await log.SubmitMany(client, [.. Enumerable.Range(0, 40).Select(_ => new TaskSubmission { Type = "sleep", Args = sleep })]), log.LastProblem?.Message);
        ConveyorProcess? workerB = null;
        try
        {
            var held = await WaitForHeld(client, workerA.Pid);
            workerA.Pause();
            output.WriteLine($"SIGSTOP worker A holding {held.Count} tasks");
            workerB = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(logB), "worker", "--broker", url, "--concurrency", "4", "--lease-duration", "2s");
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
            output.WriteLine($"--- server ---\n{server.Output}\n--- worker A ---\n{workerA.Output}\n--- worker B ---\n{workerB?.Output}");
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
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        var url = $"http://127.0.0.1:{port}";
        var executions = Path.Combine(_env.Directory, "executions.log");
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running");
        await using var worker = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(executions), "worker", "--broker", url, "--concurrency", "8");
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
            output.WriteLine($"--- server ---\n{server.Output}\n--- worker ---\n{worker.Output}");
            throw;
        }
    }

    /// <summary>The ids of the tasks worker <paramref name="pid"/> holds, once it holds at least two.</summary>
    private static async Task<List<string>> WaitForHeld(ConveyorClient client, int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var running = await client.List(new TaskListParams(State: TaskState.Running, Limit: 1000));
            var held = running.Items.Where(t => t.WorkerId?.Contains($":{pid}:", StringComparison.Ordinal) == true).Select(t => t.Id).ToList();
            if (held.Count >= 2) return held;
            await Task.Delay(20);
        }
        throw new TimeoutException($"worker {pid} never held two tasks");
    }

    public void Dispose() => _env.Dispose();
}
