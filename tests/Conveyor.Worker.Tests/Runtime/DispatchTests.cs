using Conveyor.Model;

namespace Conveyor.Worker.Tests.Runtime;

/// <summary>
/// w2pickup: TaskDispatch starts the last task of a lease on the thread its lease returned on, and the
/// lease loop goes on from the pool. What must hold: a handler that blocks that thread never holds up
/// leasing for the other slots, and every task runs once.
/// </summary>
public sealed class DispatchTests
{
    [Fact]
    public async Task A_handler_that_blocks_its_thread_does_not_hold_up_leasing_for_the_other_slots()
    {
        await using var h = new WorkerHarness();
        h.Options.Concurrency = 2;
        using var release = new ManualResetEventSlim();
        var blocking = Signals.New<bool>();
        var quick = Signals.New<bool>();
        var blockReturned = false;
        h.Handlers.Add("block", (System.Text.Json.JsonElement _, TaskContext _) =>
        {
            blocking.TrySetResult(true);
            release.Wait(WorkerHarness.Patience); // no await: the thread it started on stays taken
            Volatile.Write(ref blockReturned, true);
            return ValueTask.FromResult<object?>(null);
        });
        h.Handlers.Add("quick", (System.Text.Json.JsonElement _, TaskContext _) =>
        {
            quick.TrySetResult(true);
            return ValueTask.FromResult<object?>(null);
        });

        // Started first, so each task comes to a waiting lease alone: the last (only) task of its lease.
        await h.StartAsync();
        var blocked = await h.SubmitAsync("block");
        await blocking.Within("the blocking handler to start");
        var other = await h.SubmitAsync("quick");
        try
        {
            await quick.Within("the second slot to lease and start a task while the first handler blocks its thread");
            Assert.False(Volatile.Read(ref blockReturned), "the second task started only after the blocking handler returned");
        }
        finally
        {
            release.Set();
        }
        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(blocked)).State);
        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(other)).State);
    }

    [Fact]
    public async Task Every_task_of_leases_that_bring_several_runs_exactly_once()
    {
        await using var h = new WorkerHarness();
        h.Options.Concurrency = 3;
        var runs = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        h.Handlers.Add("count", async (System.Text.Json.JsonElement _, TaskContext ctx) =>
        {
            runs.AddOrUpdate(ctx.TaskId, 1, (_, n) => n + 1);
            await Task.Yield();
            return null;
        });
        var results = await h.Engine.SubmitMany([.. Enumerable.Range(0, 120).Select(_ => new TaskSubmission { Type = "count" })]);

        await h.StartAsync();
        foreach (var r in results) Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(r.Task.Id)).State);
        await h.StopAsync();
        Assert.Equal(120, runs.Count);
        Assert.All(runs.Values, n => Assert.Equal(1, n));
        Assert.Equal(120, h.Pool.Processed);
    }
}
