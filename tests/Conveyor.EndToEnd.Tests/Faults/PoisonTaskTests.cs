using System.Globalization;
using System.Text.Json;
using Conveyor.Model;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// A poison task that kills its worker process every time it runs (the test-only <c>crash</c> type,
/// <c>Environment.FailFast</c>), with a supervisor loop in the test that starts the worker again each
/// time it dies (as systemd or Kubernetes would): each crash costs the poison task an attempt (its
/// lease expires), so after <c>max_attempts</c> it is dead, in the dead-letter queue, and the worker
/// then carries on with the other tasks, which all succeed.
/// </summary>
public sealed class PoisonTaskTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_task_that_crashes_its_worker_every_time_reaches_the_dead_letter_queue_and_the_rest_succeed()
    {
        var (port, url) = FaultSupport.Loopback();
        await using var server = await FaultSupport.StartBroker(_env, port, _env.DatabasePath);
        var (client, http) = TestEnvironment.Client(url);
        using var disposeHttp = http;

        var log = new SubmissionLog();
        var sleep = JsonDocument.Parse("{\"ms\":20}").RootElement.Clone();
        // Other work, before and after the poison task; generous attempts, as a crash also costs the tasks running beside it one.
        Assert.True(await log.SubmitMany(client, [.. Enumerable.Range(0, 100).Select(_ => new TaskSubmission { Type = "sleep", Args = sleep, MaxAttempts = 25 })]), log.LastProblem?.Message);
        Assert.True(await log.SubmitMany(client, [new TaskSubmission { Type = "crash", MaxAttempts = 3, Backoff = BackoffPolicy.None }]), log.LastProblem?.Message);
        var poison = log.AcknowledgedIds.Last();
        Assert.True(await log.SubmitMany(client, [.. Enumerable.Range(0, 100).Select(_ => new TaskSubmission { Type = "sleep", Args = sleep, MaxAttempts = 25 })]), log.LastProblem?.Message);

        var env = new Dictionary<string, string> { ["CONVEYOR_TEST_CRASH_HANDLER"] = "1" };
        var logs = new List<string>();
        var crashes = 0;
        ConveyorProcess? worker = null;
        try
        {
            // The supervisor: bounded by its deadline and its number of starts.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            var starts = 0;
            while (DateTime.UtcNow < deadline)
            {
                if (worker is null || worker.HasExited)
                {
                    if (worker is not null)
                    {
                        crashes++;
                        // HasExited can be true before the output readers reach the pipe's end: wait for them.
                        output.WriteLine($"supervisor: worker {starts} exited with {await worker.WaitForExit(TimeSpan.FromSeconds(10))}");
                        Assert.Contains("the 'crash' task", worker.Output, StringComparison.Ordinal);
                        await worker.DisposeAsync();
                    }
                    Assert.True(++starts <= 8, "the poison task crashed the worker more times than its max_attempts allow");
                    var path = FaultSupport.ExecutionLog(_env, starts.ToString(CultureInfo.InvariantCulture));
                    logs.Add(path);
                    worker = ConveyorProcess.Start(_env.Directory, new Dictionary<string, string>(env) { ["CONVEYOR_EXECUTION_LOG"] = path },
                        "worker", "--broker", url, "--concurrency", "4", "--lease-duration", "2s");
                }
                var queues = (await client.Queues()).Where(q => q.Name == "default").ToList();
                if (queues.Sum(q => q.Pending + q.Scheduled + q.Running) == 0) break;
                await Task.Delay(250);
            }
            var final = await client.Get(poison);
            Assert.NotNull(final);
            output.WriteLine($"poison task: {final.State.ToWire()} after {final.Attempts.Count} attempts [{string.Join(", ", final.Attempts.Select(a => a.Outcome))}]; {crashes} worker crashes");
            Assert.Equal(TaskState.Failed, final.State);
            Assert.Equal(3, final.Attempts.Count);
            Assert.All(final.Attempts, a => Assert.Equal(AttemptOutcome.LeaseExpired, a.Outcome));
            Assert.Equal(3, crashes);
            Assert.Contains((await client.DeadLetters()).Items, t => t.Id == poison);
            Assert.False(worker!.HasExited, "the worker did not carry on after the poison task was dead");

            var report = await Histories.CheckExpectingDead(client, log, new HashSet<string>(StringComparer.Ordinal) { poison }, [.. logs]);
            output.WriteLine($"sqlite poison task (3 worker crashes, supervisor restarts): {report}");
            report.AssertSafe();
        }
        catch
        {
            FaultSupport.Dump(output, ("server", server));
            if (worker is not null) output.WriteLine("--- last worker ---\n" + worker.Output);
            throw;
        }
        finally
        {
            if (worker is not null) await worker.DisposeAsync();
        }
    }

    public void Dispose() => _env.Dispose();
}
