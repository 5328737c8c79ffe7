using System.Text.Json;
using Conveyor.Model;
using Conveyor.Transport;
using Conveyor.Worker.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class PrefetchTests
{
    private static WorkerRuntime Runtime(WorkerHarness h, int concurrency, int maxPrefetch = 10) =>
        new("w", h.Transport, new HandlerRegistry(), new WorkerOptions { Concurrency = concurrency, MaxPrefetch = maxPrefetch },
            TimeProvider.System, NullLoggerFactory.Instance, null);

    [Fact]
    public async Task The_allowance_is_what_the_slots_finish_in_three_lease_round_trips_within_its_limits()
    {
        await using var h = new WorkerHarness();

        var fresh = Runtime(h, 50);
        Assert.Equal(0, fresh.PrefetchAllowance()); // nothing measured yet
        fresh.LeaseTook(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, fresh.PrefetchAllowance()); // no task has run yet

        // 50 slots of 10 ms tasks finish 5 per millisecond of lease: 3 x 5 = 15, over the limit of 10.
        var w3 = Runtime(h, 50);
        w3.LeaseTook(TimeSpan.FromMilliseconds(1));
        w3.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(10, w3.PrefetchAllowance());

        var limited = Runtime(h, 50, maxPrefetch: 4);
        limited.LeaseTook(TimeSpan.FromMilliseconds(1));
        limited.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(4, limited.PrefetchAllowance());

        // 2 slots of 10 ms tasks finish 0.6 in three round trips of 1 ms: none (one held ahead would wait 5 ms).
        var few = Runtime(h, 2);
        few.LeaseTook(TimeSpan.FromMilliseconds(1));
        few.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(0, few.PrefetchAllowance());

        // 4 slots of 10 ms tasks finish 1.2 in three round trips of 1 ms: one.
        var some = Runtime(h, 4);
        some.LeaseTook(TimeSpan.FromMilliseconds(1));
        some.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, some.PrefetchAllowance());

        // 50 slots of 10 ms tasks, a 0.5 ms round trip: 7.5, rounded down.
        var w3Fast = Runtime(h, 50);
        w3Fast.LeaseTook(TimeSpan.FromMilliseconds(0.5));
        w3Fast.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(7, w3Fast.PrefetchAllowance());

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
    [InlineData(5, 6)] // one slot, up to five no-op tasks leased ahead of it
    [InlineData(0, 1)] // prefetch off: the pool leases only for its free slot
    public async Task A_busy_slot_has_short_tasks_leased_ahead_only_when_prefetch_is_on(int maxPrefetch, int mostAllowed)
    {
        await using var h = new WorkerHarness();
        h.Options.Concurrency = 1;
        h.Options.MaxPrefetch = maxPrefetch;
        var counting = new HeldCounting(h.Transport);
        h.Transport = counting;
        h.Handlers.Add("noop", (JsonElement _, TaskContext _) =>
        {
            Interlocked.Decrement(ref counting.Held); // started: no longer waiting for the slot
            return ValueTask.FromResult<object?>(null);
        });
        var results = await h.Engine.SubmitMany(Enumerable.Range(0, 2000).Select(_ => new TaskSubmission { Type = "noop" }).ToList());

        await h.StartAsync();
        foreach (var r in results) Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(r.Task.Id)).State);

        Assert.InRange(counting.MostHeld, 1, mostAllowed);
        if (maxPrefetch > 0) Assert.True(counting.MostHeld > 1, "no task was ever leased ahead of the busy slot");
    }

    /// <summary>Counts tasks leased and not yet started by a handler (the test's handler decrements).</summary>
    private sealed class HeldCounting(ITaskTransport inner) : ITaskTransport
    {
        public int Held;
        public int MostHeld;

        public async ValueTask<IReadOnlyList<Conveyor.Store.LeasedTask>> Lease(Conveyor.Store.TaskLeaseParams request, CancellationToken ct = default)
        {
            var leased = await inner.Lease(request, ct);
            var now = Interlocked.Add(ref Held, leased.Count);
            int seen;
            while ((seen = Volatile.Read(ref MostHeld)) < now && Interlocked.CompareExchange(ref MostHeld, now, seen) != seen) { }
            return leased;
        }

        public ValueTask<IReadOnlyList<Conveyor.Store.AckResult>> CompleteMany(IReadOnlyList<Conveyor.Store.TaskCompleteParams> items, CancellationToken ct = default) => inner.CompleteMany(items, ct);
        public ValueTask<IReadOnlyList<Conveyor.Store.AckResult>> FailMany(IReadOnlyList<Conveyor.Store.TaskFailParams> items, CancellationToken ct = default) => inner.FailMany(items, ct);
        public ValueTask<IReadOnlyList<Conveyor.Store.LeaseExtendResult>> ExtendMany(IReadOnlyList<Conveyor.Store.LeaseExtendParams> items, CancellationToken ct = default) => inner.ExtendMany(items, ct);
        public ValueTask<IReadOnlyList<Conveyor.Store.AckResult>> ReleaseMany(IReadOnlyList<Conveyor.Store.TaskReleaseParams> items, CancellationToken ct = default) => inner.ReleaseMany(items, ct);
        public ValueTask WorkerHeartbeat(Conveyor.Store.WorkerInfo worker, CancellationToken ct = default) => inner.WorkerHeartbeat(worker, ct);
        public ValueTask WorkerRemove(string workerId, CancellationToken ct = default) => inner.WorkerRemove(workerId, ct);
    }

    [Fact]
    public async Task A_prefetched_task_stuck_behind_a_long_one_goes_back_to_the_queue_uncharged_and_runs_once()
    {
        await using var h = new WorkerHarness(); // lease 3 s: renewals (and hand-backs) every second
        h.Options.Concurrency = 1;
        var release = Signals.New<bool>();
        var blockStarted = Signals.New<bool>();
        var runs = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        h.Handlers.Add("short", (JsonElement _, TaskContext ctx) =>
        {
            runs.AddOrUpdate(ctx.TaskId, 1, (_, n) => n + 1);
            return ValueTask.FromResult<object?>(null);
        });
        h.Handlers.Add("block", async (JsonElement _, TaskContext ctx) =>
        {
            blockStarted.TrySetResult(true);
            await release.Task.WaitAsync(ctx.CancellationToken);
            return null;
        });
        await h.StartAsync();
        // Instant tasks first, so the pool has measured both times: a round trip is many of them, and it
        // prefetches (what the slot finishes in two round trips, floored: at least one).
        for (var i = 0; i < 10; i++) await h.WaitTerminalAsync(await h.SubmitAsync("short"));

        var block = await h.SubmitAsync("block");
        var next = await h.SubmitAsync("short");
        await blockStarted.Within("the blocking task started");
        await WorkerHarness.Eventually(async () => (await h.GetAsync(next)).State == TaskState.Running, "the next task leased ahead of the busy slot");
        await WorkerHarness.Eventually(async () => (await h.GetAsync(next)).State == TaskState.Pending, "the waiting task handed back to the queue");
        // And it stays there for another worker: the pool does not lease it again while its slot is held.
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var handedBack = await h.GetAsync(next);
        Assert.Equal(TaskState.Pending, handedBack.State);
        Assert.Equal(0, handedBack.Attempt); // not charged
        Assert.Single(handedBack.Attempts, a => a.Outcome == AttemptOutcome.Released);
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
