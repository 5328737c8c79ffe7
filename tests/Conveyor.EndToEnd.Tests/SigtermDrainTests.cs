using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.EndToEnd.Tests.Faults;
using Conveyor.Model;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// SIGTERM (what <c>docker stop</c>, <c>docker-compose stop</c> and systemd send) drains a real
/// <c>conveyor worker</c> process: it stops leasing, lets running tasks finish within
/// <c>--drain-timeout</c>, hands the rest back uncharged, and exits 0. Tasks here run longer than
/// the 2 s System.CommandLine used to allow after a signal before it ended the process.
/// </summary>
public sealed class SigtermDrainTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    /// <summary>The worker's execution log: a line per attempt, written as its handler starts.</summary>
    private string ExecutionLog => Path.Combine(_env.Directory, "executions.log");

    [Fact]
    public async Task Sigterm_lets_running_tasks_finish_within_the_drain_timeout()
    {
        await using var broker = await StartBroker();
        var (client, http) = TestEnvironment.Client(broker.Url);
        using var _ = http;
        await using var worker = await StartWorker(broker.Url, "--drain-timeout", "20s");
        var ids = await SubmitAndWaitRunning(client, count: 2, ms: 4000);

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("stopped after 2 attempts (0 failed)", worker.Output, StringComparison.Ordinal);
        foreach (var id in ids)
        {
            var t = (await client.Get(id))!;
            Assert.Equal(TaskState.Succeeded, t.State);
            Assert.Equal(1, t.Attempt);
            Assert.Equal([AttemptOutcome.Succeeded], t.Attempts.Select(a => a.Outcome));
        }
    }

    [Fact]
    public async Task Sigterm_hands_back_what_outlasts_the_drain_timeout_without_charging_it()
    {
        await using var broker = await StartBroker();
        var (client, http) = TestEnvironment.Client(broker.Url);
        using var _ = http;
        await using var worker = await StartWorker(broker.Url, "--drain-timeout", "1s");
        var ids = await SubmitAndWaitRunning(client, count: 2, ms: 60_000);

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExit(TimeSpan.FromSeconds(30)));
        foreach (var id in ids)
        {
            var t = (await client.Get(id))!;
            Assert.Equal(TaskState.Pending, t.State);
            Assert.Equal(0, t.Attempt);
            Assert.Equal([AttemptOutcome.Released], t.Attempts.Select(a => a.Outcome));
        }
    }

    /// <summary>
    /// Submits the sleeps and waits until the worker runs them: running in the store and started by its handler
    /// (in the execution log). The store says running once the lease is taken, before its answer reaches the
    /// worker; a SIGTERM then would find the task arriving after the stop began, which goes back uncharged.
    /// </summary>
    private async Task<List<string>> SubmitAndWaitRunning(ConveyorClient client, int count, int ms)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
            ids.Add((await client.Submit(new TaskSubmission { Type = "sleep", Args = JsonSerializer.SerializeToElement(new { ms }) })).Task.Id);
        await CrashRecoveryTests.WaitUntil(async () =>
        {
            var started = Histories.ReadExecutions(ExecutionLog).Select(e => e.TaskId).ToHashSet(StringComparer.Ordinal);
            foreach (var id in ids) if ((await client.Get(id))?.State != TaskState.Running || !started.Contains(id)) return false;
            return true;
        }, TimeSpan.FromSeconds(30), "both tasks running on the worker");
        return ids;
    }

    private async Task<Broker> StartBroker()
    {
        var port = TestEnvironment.FreePort();
        var p = ConveyorProcess.Start(_env.Directory, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await p.WaitForOutput("Conveyor is running");
        return new Broker(p, $"http://127.0.0.1:{port}");
    }

    private async Task<ConveyorProcess> StartWorker(string url, params string[] extra)
    {
        var p = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(ExecutionLog), ["worker", "--broker", url, "--concurrency", "2", "--max-prefetch", "0", .. extra]);
        await p.WaitForOutput("worker ");
        return p;
    }

    private sealed record Broker(ConveyorProcess Process, string Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }

    public void Dispose() => _env.Dispose();
}
