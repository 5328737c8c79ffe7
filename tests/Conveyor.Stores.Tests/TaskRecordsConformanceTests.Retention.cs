using Conveyor.Model;
using Conveyor.Retention;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// RetentionGet / RetentionSet, and MaintenanceRun's retention by state, by age and by count (issue 11 item 7).
public abstract partial class TaskRecordsConformanceTests
{
    private static RetentionPolicy Policy(string rules, long? max = null, TimeSpan? defaultAge = null) =>
        new RetentionPolicy { DefaultMaxAge = defaultAge ?? TaskDefaults.Retention, Rules = RetentionText.ParseRules(rules, max) }.Validated();

    private static Task<MaintenanceResult> Run(ITaskStore store, RetentionPolicy policy, int limit = MaintenanceRunParams.DefaultRetentionLimit) =>
        store.MaintenanceRun(new MaintenanceRunParams(policy) { RetentionLimit = limit }).AsTask();

    /// <summary>Completes <paramref name="count"/> tasks of <paramref name="queue"/> one by one, a millisecond apart (a defined finish order).</summary>
    private static async Task<List<string>> Succeed(ITaskStore store, FakeTimeProvider time, string queue, int count)
    {
        var ids = new List<string>();
        await EnqueueMany(store, time, count, queue: queue);
        foreach (var l in await LeaseNow(store, count, queue))
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)])).Outcome);
            ids.Add(l.Task.Id);
        }
        return ids;
    }

    private static async Task<QueueInfo> Counts(ITaskStore store, string queue) =>
        (await store.QueueList()).Single(q => q.Name == queue);

    [Fact]
    public async Task RetentionGet_answers_what_RetentionSet_stored_and_null_once_removed()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        Assert.Null(await store.RetentionGet());
        var policy = Policy("succeeded=1h,failed=30d,emails:succeeded=10m/1000", defaultAge: TimeSpan.FromDays(3));
        await store.RetentionSet(policy);
        var got = await store.RetentionGet();
        Assert.NotNull(got);
        Assert.Equal(policy.ToJson(), got.ToJson());
        Assert.Equal(new RetentionLimit(TimeSpan.FromMinutes(10), 1000), got.For("emails", TaskState.Succeeded));
        Assert.Equal(new RetentionLimit(TimeSpan.FromDays(30), null), got.For("emails", TaskState.Failed));
        Assert.Equal(new RetentionLimit(TimeSpan.FromDays(3), null), got.For("other", TaskState.Cancelled));
        await store.RetentionSet(null);
        Assert.Null(await store.RetentionGet());
    }

    [Fact]
    public async Task MaintenanceRun_deletes_each_terminal_state_after_its_own_age()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        const string q = "ret-age";
        var ok = (await Succeed(store, time, q, 1))[0];
        var dead = await Enqueue(store, NewTask(time, queue: q, maxAttempts: 1));
        Assert.Equal(TaskState.Failed, Assert.Single(await store.TaskFailMany([Failure(await LeaseOne(store, q))])).State);
        var cancelled = await Enqueue(store, NewTask(time, queue: q));
        Assert.Equal(CancelOutcome.Cancelled, (await store.TaskCancel(cancelled.Id)).Outcome);
        var pending = await Enqueue(store, NewTask(time, queue: q, delay: TimeSpan.FromDays(90)));
        var policy = Policy("succeeded=1h,failed=30d");   // cancelled: the default, 7 days
        var startMinute = HistoryMinutes.Of(Start);

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, (await Run(store, policy)).Expired);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await Run(store, policy)).Expired);
        Assert.Null(await store.TaskGet(ok));
        Assert.NotNull(await store.TaskGet(dead.Id));
        var c = await Counts(store, q);
        Assert.Equal((0L, 1L, 1L, 1L), (c.Succeeded, c.Failed, c.Cancelled, c.Scheduled));
        // The per-minute history keeps what happened: deleting old tasks does not rewrite it.
        var h = await store.HistoryList(new HistoryListParams(q, HistoryMinutes.Start(startMinute), HistoryMinutes.Start(startMinute + 1)));
        Assert.Equal((1L, 1L), (h[0].Succeeded, h[0].Failed));

        time.Advance(TimeSpan.FromDays(7));
        Assert.Equal(1, (await Run(store, policy)).Expired);
        Assert.Null(await store.TaskGet(cancelled.Id));
        Assert.NotNull(await store.TaskGet(dead.Id));

        time.Advance(TimeSpan.FromDays(23));
        Assert.Equal(1, (await Run(store, policy)).Expired);
        Assert.Null(await store.TaskGet(dead.Id));
        Assert.NotNull(await store.TaskGet(pending.Id));
        c = await Counts(store, q);
        Assert.Equal((0L, 0L, 0L, 1L), (c.Succeeded, c.Failed, c.Cancelled, c.Scheduled));
    }

    [Fact]
    public async Task MaintenanceRun_keeps_at_most_the_count_of_a_queue_rule_beside_the_default()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var a = await Succeed(store, time, "ret-count-a", 5);
        var b = await Succeed(store, time, "ret-count-b", 5);
        var policy = Policy("ret-count-a:succeeded=/2");   // ret-count-b: the default (7 days, no count)
        Assert.Equal(3, (await Run(store, policy)).Expired);
        foreach (var id in a.Take(3)) Assert.Null(await store.TaskGet(id));
        foreach (var id in a.Skip(3).Concat(b)) Assert.NotNull(await store.TaskGet(id));
        Assert.Equal(2, (await Counts(store, "ret-count-a")).Succeeded);
        Assert.Equal(5, (await Counts(store, "ret-count-b")).Succeeded);
        // Nothing more to do; a count for every queue then trims ret-count-b too, oldest first.
        Assert.Equal(0, (await Run(store, policy)).Expired);
        Assert.Equal(4, (await Run(store, Policy("ret-count-a:succeeded=/2", max: 1))).Expired);
        Assert.Equal([b[^1]], (await store.TaskList(new TaskListParams(Queue: "ret-count-b"))).Items.Select(t => t.Id));
        Assert.Equal(2, (await Counts(store, "ret-count-a")).Succeeded);   // its own count wins over the every-queue one
    }

    [Fact]
    public async Task MaintenanceRun_deletes_a_large_backlog_in_bounded_runs_oldest_first()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var ids = await Succeed(store, time, "ret-bound", 25);
        time.Advance(TimeSpan.FromHours(2));
        var policy = Policy("succeeded=1h");
        Assert.Equal(10, (await Run(store, policy, limit: 10)).Expired);
        foreach (var id in ids.Take(10)) Assert.Null(await store.TaskGet(id));
        Assert.NotNull(await store.TaskGet(ids[10]));
        Assert.Equal(15, (await Counts(store, "ret-bound")).Succeeded);
        Assert.Equal(10, (await Run(store, policy, limit: 10)).Expired);
        Assert.Equal(5, (await Run(store, policy, limit: 10)).Expired);
        Assert.Equal(0, (await Run(store, policy, limit: 10)).Expired);
        Assert.DoesNotContain(await store.QueueList(), x => x.Name == "ret-bound" && x.Succeeded != 0);
    }
}
