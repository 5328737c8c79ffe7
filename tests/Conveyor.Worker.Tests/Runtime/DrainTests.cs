using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class DrainTests
{
    [Fact]
    public async Task Stopping_lets_running_handlers_finish_within_the_drain_timeout()
    {
        await using var h = new WorkerHarness();
        h.Options.DrainTimeout = TimeSpan.FromSeconds(30);
        var started = Signals.New<bool>();
        var stopping = Signals.New<bool>();
        h.Handlers.Add("finishing", async (JsonElement _, TaskContext ctx) =>
        {
            started.TrySetResult(true);
            await stopping.Task;
            await Task.Delay(200, ctx.CancellationToken); // still working after the stop began
            return "done";
        });
        var id = await h.SubmitAsync("finishing");
        await h.StartAsync();
        await started.Within("the handler started");

        var stop = h.StopAsync();
        stopping.SetResult(true);
        await stop;

        var task = await h.GetAsync(id);
        Assert.Equal(TaskState.Succeeded, task.State);
        Assert.Equal("done", task.Result?.GetString());
    }

    [Fact]
    public async Task After_the_drain_timeout_unfinished_tasks_are_cancelled_and_handed_back_without_charging_an_attempt()
    {
        await using var h = new WorkerHarness();
        h.Options.DrainTimeout = TimeSpan.FromMilliseconds(300);
        h.Options.Concurrency = 2;
        var started = 0;
        var allStarted = Signals.New<bool>();
        var tokensFired = 0;
        h.Handlers.Add("endless", async (JsonElement _, TaskContext ctx) =>
        {
            if (Interlocked.Increment(ref started) == 2) allStarted.TrySetResult(true);
            try { await Task.Delay(Timeout.Infinite, ctx.CancellationToken); }
            finally { Interlocked.Increment(ref tokensFired); }
            return null;
        });
        var ids = new[] { await h.SubmitAsync("endless"), await h.SubmitAsync("endless"), await h.SubmitAsync("endless") };
        await h.StartAsync();
        await allStarted.Within("both slots started a handler");

        await h.StopAsync();

        Assert.Equal(2, tokensFired);
        var tasks = new List<TaskRecord>();
        foreach (var id in ids) tasks.Add(await h.GetAsync(id));
        Assert.All(tasks, t => Assert.Equal(TaskState.Pending, t.State));
        Assert.All(tasks, t => Assert.Equal(0, t.Attempt));
        // The two that ran carry a "released" attempt in their history; the third never left pending.
        Assert.Equal(2, tasks.Count(t => t.Attempts.Any(a => a.Outcome == AttemptOutcome.Released)));
        Assert.Equal(0, h.Pool.Failed);
    }

    [Fact]
    public async Task Stopping_removes_the_worker_from_the_registry_it_heartbeats_into()
    {
        await using var h = new WorkerHarness();
        h.Options.Queues = ["mail", "default"];
        h.Options.Concurrency = 7;
        h.Handlers.AddBuiltIns();
        var pool = await h.StartAsync();

        var live = (await h.Engine.WorkerList(TimeSpan.FromMinutes(5))).Live;
        var me = Assert.Single(live);
        Assert.Equal(pool.WorkerId, me.Id);
        Assert.Equal(7, me.Concurrency);
        Assert.Equal(["mail", "default"], me.Queues);
        Assert.Equal(Environment.ProcessId, me.Pid);

        await h.StopAsync();
        Assert.Empty((await h.Engine.WorkerList(TimeSpan.FromMinutes(5))).Live);
    }
}
