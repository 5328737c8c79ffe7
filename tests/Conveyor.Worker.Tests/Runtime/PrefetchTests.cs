using System.Text.Json;
using Conveyor.Model;
using Conveyor.Gateway;
using Conveyor.Worker.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class PrefetchTests
{
    private static WorkerRuntime Runtime(WorkerHarness h, int concurrency, int maxPrefetch = 10) =>
        new("w", h.Transport, new HandlerRegistry(), new WorkerOptions { Concurrency = concurrency, MaxPrefetch = maxPrefetch },
            TimeProvider.System, NullLoggerFactory.Instance, null);

    [Fact]
    public async Task Nothing_is_prefetched_until_both_times_are_measured()
    {
        await using var h = new WorkerHarness();
        var fresh = Runtime(h, 50);
        Assert.Equal(0, fresh.PrefetchAllowance());
        fresh.LeaseTook(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, fresh.PrefetchAllowance()); // no task has run yet
        fresh.TaskTook(TimeSpan.FromMilliseconds(10));
        Assert.Equal(10, fresh.PrefetchAllowance());
    }

    [Theory]
    [InlineData(50, 10, 1.0, 10.0, 10)]   // 50 slots of 10 ms tasks finish 15 in three 1 ms round trips: the limit, 10
    [InlineData(50, 4, 1.0, 10.0, 4)]     // a lower limit holds
    [InlineData(50, 10, 0.5, 10.0, 7)]    // 7.5, rounded down
    [InlineData(4, 10, 1.0, 10.0, 1)]     // 1.2: one
    [InlineData(2, 10, 1.0, 10.0, 0)]     // 0.6: none (one held ahead would wait 5 ms, five round trips)
    [InlineData(10, 100, 0.5, 0.02, 100)] // no-op tasks: 750, the limit holds
    [InlineData(50, 10, 40.0, 1000.0, 0)] // tasks of a second or more: none, whatever the lease time
    [InlineData(50, 0, 1.0, 10.0, 0)]     // prefetch off
    public async Task The_allowance_is_what_the_slots_finish_in_three_lease_round_trips_within_its_limits(
        int concurrency, int maxPrefetch, double leaseMs, double runMs, int expected)
    {
        await using var h = new WorkerHarness();
        var runtime = Runtime(h, concurrency, maxPrefetch);
        runtime.LeaseTook(TimeSpan.FromMilliseconds(leaseMs));
        runtime.TaskTook(TimeSpan.FromMilliseconds(runMs));
        Assert.Equal(expected, runtime.PrefetchAllowance());
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
    private sealed class HeldCounting(IWorkerGateway inner) : IWorkerGateway
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
        public ValueTask<Conveyor.Store.WorkerHeartbeatResult> WorkerHeartbeat(Conveyor.Store.WorkerInfo worker, CancellationToken ct = default) => inner.WorkerHeartbeat(worker, ct);
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
