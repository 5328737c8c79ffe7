using Conveyor.Model;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Never_runs_more_handlers_at_once_than_the_concurrency_limit()
    {
        await using var h = new WorkerHarness();
        h.Options.Concurrency = 3;
        var running = 0;
        var max = 0;
        h.Handlers.Add("work", async (System.Text.Json.JsonElement _, TaskContext ctx) =>
        {
            var now = Interlocked.Increment(ref running);
            int seen;
            while ((seen = Volatile.Read(ref max)) < now && Interlocked.CompareExchange(ref max, now, seen) != seen) { }
            await Task.Delay(60, ctx.CancellationToken);
            Interlocked.Decrement(ref running);
            return null;
        });
        var ids = new List<string>();
        for (var i = 0; i < 24; i++) ids.Add(await h.SubmitAsync("work"));

        await h.StartAsync();
        foreach (var id in ids) Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(id)).State);

        Assert.True(max <= 3, $"saw {max} handlers at once with concurrency 3");
        Assert.Equal(3, max); // 24 ready tasks and 3 free slots: the slots do fill up
    }

    [Fact]
    public async Task Processes_many_no_op_tasks_with_batched_leases_and_acks()
    {
        await using var h = new WorkerHarness();
        h.Options.Concurrency = 10;
        h.Handlers.AddBuiltIns();
        var submissions = Enumerable.Range(0, 500).Select(_ => new TaskSubmission { Type = "noop" }).ToList();
        var results = await h.Engine.SubmitMany(submissions);

        await h.StartAsync();
        foreach (var r in results) Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(r.Task.Id)).State);
        await h.StopAsync();
        Assert.Equal(500, h.Pool.Processed);
        Assert.Equal(0, h.Pool.Failed);
    }
}
