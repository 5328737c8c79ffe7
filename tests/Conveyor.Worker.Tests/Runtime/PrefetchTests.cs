using System.Text.Json;
using Conveyor.Model;
using Conveyor.Worker.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class PrefetchTests
{
    private static WorkerRuntime Runtime(WorkerHarness h, int concurrency, int maxPrefetch = 10) =>
        new("w", h.Transport, new HandlerRegistry(), new WorkerOptions { Concurrency = concurrency, MaxPrefetch = maxPrefetch },
            TimeProvider.System, NullLoggerFactory.Instance, null);

    [Fact]
    public async Task The_allowance_is_what_the_slots_finish_during_one_lease_twice_over_within_its_limits()
    {
        await using var h = new WorkerHarness();

        var fresh = Runtime(h, 50);
        Assert.Equal(0, fresh.PrefetchAllowance()); // nothing measured yet
        fresh.LeaseTook(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, fresh.PrefetchAllowance()); // no task has run yet

        // 50 slots of 10 ms tasks finish 5 per millisecond of lease: 2 x 5 = 10, the limit.
        var w3 = Runtime(h, 50);
        w3.LeaseTook(TimeSpan.FromMilliseconds(1));
        w3.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(10, w3.PrefetchAllowance());

        var limited = Runtime(h, 50, maxPrefetch: 4);
        limited.LeaseTook(TimeSpan.FromMilliseconds(1));
        limited.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(4, limited.PrefetchAllowance());

        // 2 slots of 10 ms tasks finish 0.2 per lease: rounded up, one waits ready.
        var few = Runtime(h, 2);
        few.LeaseTook(TimeSpan.FromMilliseconds(1));
        few.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, few.PrefetchAllowance());

        // No-op tasks: 10 slots finish 500 per millisecond of lease; the limit holds.
        var noop = Runtime(h, 10, maxPrefetch: 100);
        noop.LeaseTook(TimeSpan.FromMilliseconds(0.5));
        noop.TaskTook(TimeSpan.FromMilliseconds(0.02));
        Assert.Equal(100, noop.PrefetchAllowance());

        // Tasks of a second or more: none, whatever the lease time.
        var longTasks = Runtime(h, 50);
        longTasks.LeaseTook(TimeSpan.FromMilliseconds(40));
        longTasks.TaskTook(TimeSpan.FromSeconds(1));
        Assert.Equal(0, longTasks.PrefetchAllowance());

        var off = Runtime(h, 50, maxPrefetch: 0);
        off.LeaseTook(TimeSpan.FromMilliseconds(1));
        off.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(0, off.PrefetchAllowance());
    }

    [Fact]
    public void Max_prefetch_out_of_range_is_refused()
    {
        var errors = new WorkerOptions { MaxPrefetch = -1 }.Validate();
        Assert.Contains(errors, e => e.Field == "worker.max_prefetch");
        Assert.Contains(new WorkerOptions { MaxPrefetch = TaskDefaults.MaxLeaseBatch + 1 }.Validate(), e => e.Field == "worker.max_prefetch");
        Assert.Empty(new WorkerOptions { MaxPrefetch = 0 }.Validate());
    }

    [Theory]
    [InlineData(1, 2)]  // one slot, one task leased ahead of it (the limit: the rule alone may want more on a slow machine)
    [InlineData(0, 1)]  // prefetch off: only the task that runs is leased
    public async Task A_busy_slot_has_its_next_short_task_leased_ahead_only_when_prefetch_is_on(int maxPrefetch, int expectedMostLeased)
    {
        await using var h = new WorkerHarness();
        h.Options.Concurrency = 1;
        h.Options.MaxPrefetch = maxPrefetch;
        var mostLeased = 0L;
        h.Handlers.Add("short", async (JsonElement _, TaskContext ctx) =>
        {
            await Task.Delay(5, ctx.CancellationToken);
            // Leased tasks are "running" in the store, whether a slot runs them or they wait for one.
            var leased = (await h.Engine.QueueList()).Single(q => q.Name == TaskDefaults.Queue).Running;
            long seen;
            while ((seen = Interlocked.Read(ref mostLeased)) < leased && Interlocked.CompareExchange(ref mostLeased, leased, seen) != seen) { }
            return null;
        });
        var results = await h.Engine.SubmitMany(Enumerable.Range(0, 40).Select(_ => new TaskSubmission { Type = "short" }).ToList());

        await h.StartAsync();
        foreach (var r in results) Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(r.Task.Id)).State);

        Assert.Equal(expectedMostLeased, Interlocked.Read(ref mostLeased));
    }

    [Fact]
    public async Task A_prefetched_task_stuck_behind_a_long_one_goes_back_to_the_queue_uncharged_and_runs_once()
    {
        await using var h = new WorkerHarness(); // lease 3 s: renewals (and hand-backs) every second
        h.Options.Concurrency = 1;
        var release = Signals.New<bool>();
        var blockStarted = Signals.New<bool>();
        var runs = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        h.Handlers.Add("short", async (JsonElement _, TaskContext ctx) =>
        {
            runs.AddOrUpdate(ctx.TaskId, 1, (_, n) => n + 1);
            await Task.Delay(2, ctx.CancellationToken);
            return null;
        });
        h.Handlers.Add("block", async (JsonElement _, TaskContext ctx) =>
        {
            blockStarted.TrySetResult(true);
            await release.Task.WaitAsync(ctx.CancellationToken);
            return null;
        });
        await h.StartAsync();
        // Short tasks first, so the pool has measured both times and prefetches one.
        for (var i = 0; i < 10; i++) await h.WaitTerminalAsync(await h.SubmitAsync("short"));

        var block = await h.SubmitAsync("block");
        var next = await h.SubmitAsync("short");
        await blockStarted.Within("the blocking task started");
        await WorkerHarness.Eventually(async () => (await h.GetAsync(next)).State == TaskState.Running, "the next task leased ahead of the busy slot");
        await WorkerHarness.Eventually(async () => (await h.GetAsync(next)).State == TaskState.Pending, "the waiting task handed back to the queue");

        var handedBack = await h.GetAsync(next);
        Assert.Equal(0, handedBack.Attempt); // not charged
        Assert.Contains(handedBack.Attempts, a => a.Outcome == AttemptOutcome.Released);
        Assert.False(runs.ContainsKey(next));
        Assert.Equal(TaskState.Running, (await h.GetAsync(block)).State);

        release.TrySetResult(true);
        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(block)).State);
        var done = await h.WaitTerminalAsync(next);
        Assert.Equal(TaskState.Succeeded, done.State);
        Assert.Equal(1, runs[next]); // the copy left in the pool's buffer was skipped, not run
        Assert.Equal(1, done.Attempt);
    }
}
