using System.Collections.Concurrent;
using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// Flow control (issue 14 items 3 and 6): rate and concurrency limits at lease time, unique while active.
public abstract partial class TaskStoreConformanceTests
{
    private static TaskRecord Tenant(FakeTimeProvider time, string tenant, string queue = "lim", int priority = 0, string? unique = null, TimeSpan? delay = null) =>
        TaskValidator.Build(new TaskSubmission
        {
            Type = "test.noop", Queue = queue, Priority = priority, Delay = delay, UniqueKey = unique,
            Args = JsonDocument.Parse($"{{\"customer\":\"{tenant}\",\"n\":7}}").RootElement.Clone(),
            Metadata = new Dictionary<string, string> { ["tenant"] = tenant },
        }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    private static async Task<List<TaskRecord>> EnqueueTenants(ITaskStore store, FakeTimeProvider time, params (string Tenant, int Count)[] groups)
    {
        var tasks = groups.SelectMany(g => Enumerable.Range(0, g.Count).Select(_ => Tenant(time, g.Tenant))).ToList();
        var results = await store.TaskEnqueueMany(tasks);
        Assert.All(results, r => Assert.True(r.Created));
        return tasks;
    }

    private static Dictionary<string, int> ByTenant(IEnumerable<LeasedTask> leased) =>
        leased.GroupBy(l => l.Task.Metadata["tenant"]).ToDictionary(g => g.Key, g => g.Count());

    private static Task Complete(ITaskStore store, LeasedTask l) => store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]).AsTask();

    /// <summary>
    /// False for a delivery that cannot enforce limits inside its lease (every store does today, RabbitMQ
    /// through its records' TaskLeaseByIds): there every limit test proves instead that setting a limit
    /// is refused, with nothing stored, rather than accepted and not kept.
    /// </summary>
    protected virtual bool SupportsLimits => true;

    private async Task LimitsAreRefused()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Assert.ThrowsAsync<ConveyorValidationException>(async () =>
            await store.QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 2)));
        Assert.Empty(await store.QueueLimitList("lim"));
    }

    // ---- unique while active ----

    [Fact]
    public async Task UniqueKey_returns_the_active_holder_and_frees_when_it_ends()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var first = (await store.TaskEnqueueMany([Tenant(time, "a", unique: "report-1")]))[0];
        Assert.True(first.Created);
        Assert.Equal("report-1", (await Get(store, first.Task.Id)).UniqueKey);

        var again = (await store.TaskEnqueueMany([Tenant(time, "a", unique: "report-1")]))[0];
        Assert.False(again.Created);
        Assert.Equal(first.Task.Id, again.Task.Id);
        Assert.True((await store.TaskEnqueueMany([Tenant(time, "a", queue: "other", unique: "report-1")]))[0].Created); // per queue
        var batch = await store.TaskEnqueueMany([Tenant(time, "a", unique: "report-2"), Tenant(time, "a", unique: "report-2")]);
        Assert.True(batch[0].Created);
        Assert.False(batch[1].Created);
        Assert.Equal(batch[0].Task.Id, batch[1].Task.Id);

        var running = await LeaseOne(store, "lim");
        Assert.Equal(first.Task.Id, running.Task.Id);
        Assert.False((await store.TaskEnqueueMany([Tenant(time, "a", unique: "report-1")]))[0].Created); // running still holds it
        await Complete(store, running);
        var next = (await store.TaskEnqueueMany([Tenant(time, "a", unique: "report-1")]))[0];
        Assert.True(next.Created); // no window: once the holder ended, the key is free
        Assert.NotEqual(first.Task.Id, next.Task.Id);

        // A scheduled holder counts; a cancelled one does not.
        var later = (await store.TaskEnqueueMany([Tenant(time, "a", unique: "nightly", delay: TimeSpan.FromHours(1))]))[0];
        Assert.Equal(later.Task.Id, (await store.TaskEnqueueMany([Tenant(time, "a", unique: "nightly")]))[0].Task.Id);
        Assert.Equal(CancelOutcome.Cancelled, (await store.TaskCancel(later.Task.Id)).Outcome);
        Assert.True((await store.TaskEnqueueMany([Tenant(time, "a", unique: "nightly")]))[0].Created);
    }

    [Fact]
    public async Task UniqueKey_leaves_the_idempotency_window_as_it_was()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var t = Tenant(time, "a", unique: "u-1") with { IdempotencyKey = "idem-1" };
        var first = (await store.TaskEnqueueMany([t]))[0];
        var l = await LeaseOne(store, "lim");
        await Complete(store, l);
        // The unique key is free, but the idempotency key still answers with the first task in its window.
        var repeat = (await store.TaskEnqueueMany([Tenant(time, "a", unique: "u-1") with { IdempotencyKey = "idem-1" }]))[0];
        Assert.False(repeat.Created);
        Assert.Equal(first.Task.Id, repeat.Task.Id);
        Assert.True((await store.TaskEnqueueMany([Tenant(time, "a", unique: "u-1")]))[0].Created);
    }

    [Fact]
    public async Task UniqueKey_creates_exactly_one_task_for_many_concurrent_submitters()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
            (await store.TaskEnqueueMany([Tenant(time, "t" + i, unique: "the-one")]))[0])));
        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.Task.Id).Distinct());
        Assert.Single((await store.TaskList(new TaskListParams(Queue: "lim"))).Items);
    }

    // ---- concurrency limits ----

    [Fact]
    public async Task A_concurrency_limit_per_key_holds_and_a_freed_slot_goes_to_the_next_in_line()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 2));
        var tasks = await EnqueueTenants(store, time, ("a", 6), ("b", 3));

        var leased = await LeaseNow(store, 100, "lim");
        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 2 }, ByTenant(leased));
        Assert.Empty(await LeaseNow(store, 100, "lim")); // the rest wait, pending
        var counts = Assert.Single(await store.QueueList(), q => q.Name == "lim");
        Assert.Equal((5, 4), (counts.Pending, counts.Running));

        var a = leased.Where(l => l.Task.Metadata["tenant"] == "a").ToList();
        await Complete(store, a[0]);
        var next = Assert.Single(await LeaseNow(store, 100, "lim"));
        Assert.Equal(tasks[2].Id, next.Task.Id); // FIFO within the key: the third of a
        await store.TaskFailMany([Failure(a[1], retry: false)]);
        Assert.Equal(tasks[3].Id, Assert.Single(await LeaseNow(store, 100, "lim")).Task.Id);

        var usage = Assert.Single(await store.QueueLimitList("lim"));
        Assert.Equal("per-tenant", usage.Limit.Name);
        var ua = Assert.Single(usage.Usage, u => u.Key == "a");
        Assert.Equal((2L, 2L), (ua.Running, ua.Waiting));
        Assert.Equal(2L, Assert.Single(usage.Usage, u => u.Key == "b").Running);
    }

    [Fact]
    public async Task A_queue_wide_concurrency_limit_bounds_every_lease_and_tasks_without_the_key_are_not_counted()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("all", Concurrency: 3));
        await store.QueueLimitSet("lim", new QueueLimit("per-customer", "args.customer", Concurrency: 1));
        await EnqueueTenants(store, time, ("a", 2), ("b", 2), ("c", 2), ("d", 2));
        var leased = await LeaseNow(store, 100, "lim");
        Assert.Equal(3, leased.Count);
        Assert.All(ByTenant(leased).Values, n => Assert.Equal(1, n));

        await store.QueueLimitDelete("lim", "per-customer");
        await store.QueueLimitSet("lim", new QueueLimit("all", Concurrency: 5));
        Assert.Equal(2, (await LeaseNow(store, 100, "lim")).Count);
        Assert.Empty(await LeaseNow(store, 100, "lim"));
        Assert.True(await store.QueueLimitDelete("lim", "all"));
        Assert.False(await store.QueueLimitDelete("lim", "all"));
        Assert.Equal(3, (await LeaseNow(store, 100, "lim")).Count); // no limits left: the rest go
    }

    [Fact]
    public async Task Slots_free_on_release_cancel_and_lease_expiry_and_a_cancelled_waiter_never_runs()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("one", "metadata.tenant", Concurrency: 1));
        var tasks = await EnqueueTenants(store, time, ("a", 5));

        var first = await LeaseOne(store, "lim");
        Assert.Empty(await LeaseNow(store, 10, "lim"));
        Assert.Equal(CancelOutcome.Cancelled, (await store.TaskCancel(tasks[1].Id)).Outcome); // a parked task, cancelled
        await store.TaskReleaseMany([new(first.Task.Id, first.LeaseToken)]);
        var again = await LeaseOne(store, "lim");
        Assert.Equal(first.Task.Id, again.Task.Id); // released: back in its place

        Assert.Equal(CancelOutcome.CancelledWhileRunning, (await store.TaskCancel(again.Task.Id)).Outcome);
        var third = await LeaseOne(store, "lim");
        Assert.Equal(tasks[2].Id, third.Task.Id); // the cancelled waiter was skipped

        time.Advance(LeaseFor + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);
        Assert.Equal(tasks[3].Id, (await LeaseOne(store, "lim")).Task.Id);
    }

    // ---- rate limits ----

    [Fact]
    public async Task A_rate_limit_per_key_opens_a_new_window_when_the_interval_passes()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("api", "metadata.tenant", Rate: 2, Interval: TimeSpan.FromSeconds(10)));
        await EnqueueTenants(store, time, ("a", 5), ("b", 1));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 }, ByTenant(await LeaseNow(store, 100, "lim")));
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(await LeaseNow(store, 100, "lim")); // completions do not matter to a rate
        var usage = Assert.Single(Assert.Single(await store.QueueLimitList("lim")).Usage, u => u.Key == "a");
        Assert.Equal((2L, 3L), (usage.StartedInWindow, usage.Waiting));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, (await LeaseNow(store, 100, "lim")).Count);
        Assert.Empty(await LeaseNow(store, 100, "lim"));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(await LeaseNow(store, 100, "lim"));
    }

    [Fact]
    public async Task A_queue_wide_rate_limit_counts_starts_per_interval()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("burst", Rate: 3, Interval: TimeSpan.FromMinutes(1)));
        await EnqueueTenants(store, time, ("a", 4), ("b", 4));
        Assert.Equal(3, (await LeaseNow(store, 100, "lim")).Count);
        Assert.Empty(await LeaseNow(store, 100, "lim"));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, (await LeaseNow(store, 100, "lim")).Count);
    }

    // ---- waking ----

    [Fact]
    public async Task A_blocked_lease_wakes_when_a_slot_frees()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("one", "metadata.tenant", Concurrency: 1));
        await EnqueueTenants(store, time, ("a", 2));
        var running = await LeaseOne(store, "lim");
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), queues: "lim")).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        // The fake clock never moves: only the freed slot can wake the leaser.
        await Complete(store, running);
        var leased = await waiting.WaitAsync(Guard);
        Assert.Single(leased);
    }

    [Fact]
    public async Task A_blocked_lease_wakes_when_the_rate_window_reopens()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("api", "metadata.tenant", Rate: 1, Interval: TimeSpan.FromSeconds(5)));
        await EnqueueTenants(store, time, ("a", 2));
        Assert.Single(await LeaseNow(store, 10, "lim"));
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), queues: "lim")).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Single(await waiting.WaitAsync(Guard));
    }

    // ---- many leasers ----

    [Fact]
    public async Task Many_concurrent_leasers_never_exceed_a_concurrency_limit()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 2));
        var tenants = new[] { "a", "b", "c" };
        await EnqueueTenants(store, time, [.. tenants.Select(t => (t, 40))]);
        var running = new ConcurrentDictionary<string, int>();
        var worst = new ConcurrentDictionary<string, int>();
        var done = 0;
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            while (Volatile.Read(ref done) < 120 && !guard.IsCancellationRequested)
            {
                // No blocking wait: the fake clock does not move, so a lease that found nothing tries again.
                var leased = await store.TaskLease(LeaseParams(3, "w" + w, TimeSpan.Zero, "lim"), guard.Token);
                if (leased.Count == 0) { await Task.Delay(1, guard.Token); continue; }
                // Counted up before anyone can complete them: the store's view is at most this.
                foreach (var l in leased)
                {
                    var now = running.AddOrUpdate(l.Task.Metadata["tenant"], 1, (_, n) => n + 1);
                    worst.AddOrUpdate(l.Task.Metadata["tenant"], now, (_, n) => Math.Max(n, now));
                }
                await Task.Yield();
                foreach (var l in leased)
                {
                    running.AddOrUpdate(l.Task.Metadata["tenant"], 0, (_, n) => n - 1);
                    await Complete(store, l);
                    Interlocked.Increment(ref done);
                }
            }
        })));
        Assert.Equal(120, done);
        Assert.All(tenants, t => Assert.InRange(worst[t], 1, 2));
    }

    [Fact]
    public async Task QueueLimitSet_refuses_a_bad_limit_and_changes_nothing()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Assert.ThrowsAsync<ConveyorValidationException>(() => store.QueueLimitSet("lim", new QueueLimit("x", "tenant", Concurrency: 1)).AsTask());
        await Assert.ThrowsAsync<ConveyorValidationException>(() => store.QueueLimitSet("lim", new QueueLimit("x", Rate: 5)).AsTask());
        for (var i = 0; i < QueueLimit.MaxLimitsPerQueue; i++) await store.QueueLimitSet("lim", new QueueLimit("l" + i, Concurrency: 100));
        await Assert.ThrowsAsync<ConveyorValidationException>(() => store.QueueLimitSet("lim", new QueueLimit("one-more", Concurrency: 1)).AsTask());
        await store.QueueLimitSet("lim", new QueueLimit("l0", Concurrency: 7)); // replacing is fine
        var list = await store.QueueLimitList("lim");
        Assert.Equal(QueueLimit.MaxLimitsPerQueue, list.Count);
        Assert.Equal(7, list.Single(l => l.Limit.Name == "l0").Limit.Concurrency);
        Assert.Empty(await store.QueueLimitList("other"));
    }
}
