using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// HistoryList (per-minute outcome counts), the kept queue counts and OldestPendingAt.
public abstract partial class TaskRecordsConformanceTests
{
    private static long Minute(DateTimeOffset t) => HistoryMinutes.Of(t);

    private static async Task<IReadOnlyList<HistoryBucket>> History(ITaskStore store, string? queue, DateTimeOffset from, int minutes) =>
        await store.HistoryList(new HistoryListParams(queue, HistoryMinutes.Start(Minute(from)), HistoryMinutes.Start(Minute(from) + minutes)));

    [Fact]
    public async Task HistoryList_counts_completions_and_every_failed_attempt_per_queue_per_minute()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await EnqueueMany(store, time, 3, queue: "hist-a");
        await Enqueue(store, NewTask(time, queue: "hist-b", maxAttempts: 1));
        await Enqueue(store, NewTask(time, queue: "hist-b", maxAttempts: 3));
        // Minute 0: two completions and a retried failure in hist-a; a dead failure in hist-b.
        var a = await LeaseNow(store, 3, "hist-a");
        Assert.Equal(3, a.Count);
        Assert.All(await store.TaskCompleteMany([new(a[0].Task.Id, a[0].LeaseToken, null), new(a[1].Task.Id, a[1].LeaseToken, null)]), r => Assert.Equal(AckOutcome.Ok, r.Outcome));
        Assert.Equal(TaskState.Scheduled, Assert.Single(await store.TaskFailMany([Failure(a[2])])).State);
        var b = await LeaseNow(store, 2, "hist-b");
        var dead = b.Single(l => l.Task.MaxAttempts == 1);
        Assert.Equal(TaskState.Failed, Assert.Single(await store.TaskFailMany([Failure(dead)])).State);
        // A stale acknowledgement counts nothing.
        Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskCompleteMany([new(a[0].Task.Id, a[0].LeaseToken, null)])).Outcome);
        // Minute 2: the other hist-b lease expires; maintenance reclaims it: a failed attempt.
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);

        var qa = await History(store, "hist-a", Start, 4);
        Assert.Equal(Enumerable.Range(0, 4).Select(i => HistoryMinutes.Start(Minute(Start) + i)), qa.Select(x => x.At));
        Assert.Equal([(2L, 1L), (0, 0), (0, 0), (0, 0)], qa.Select(x => (x.Succeeded, x.Failed)));
        var qb = await History(store, "hist-b", Start, 4);
        Assert.Equal([(0L, 1L), (0, 0), (0, 1), (0, 0)], qb.Select(x => (x.Succeeded, x.Failed)));
        var all = await History(store, null, Start, 4);
        Assert.Equal([(2L, 2L), (0, 0), (0, 1), (0, 0)], all.Select(x => (x.Succeeded, x.Failed)));
        // An unknown queue, or a window without outcomes, is zeros, one bucket per minute.
        var none = await History(store, "hist-none", Start, 3);
        Assert.Equal(3, none.Count);
        Assert.All(none, x => Assert.Equal((0L, 0L), (x.Succeeded, x.Failed)));
        Assert.All(await History(store, null, Start - TimeSpan.FromHours(1), 30), x => Assert.Equal((0L, 0L), (x.Succeeded, x.Failed)));
    }

    [Fact]
    public async Task HistoryList_reads_a_seven_day_window_across_day_boundaries()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var first = time.GetUtcNow();
        await EnqueueMany(store, time, 2, queue: "hist-week");
        var l = await LeaseOne(store, "hist-week");
        await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]);
        // Just under seven days later (another UTC day), one more.
        time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(2));
        await store.MaintenanceRun(TimeSpan.FromDays(30));
        var l2 = await LeaseOne(store, "hist-week");
        await store.TaskCompleteMany([new(l2.Task.Id, l2.LeaseToken, null)]);
        var week = await History(store, "hist-week", first, HistoryListParams.MaxMinutes);
        Assert.Equal(HistoryListParams.MaxMinutes, week.Count);
        Assert.Equal(1, week[0].Succeeded);
        var second = (int)(Minute(time.GetUtcNow()) - Minute(first));
        Assert.Equal(1, week[second].Succeeded);
        Assert.Equal(2, week.Sum(x => x.Succeeded));
        Assert.True(week.Zip(week.Skip(1)).All(p => p.Second.At - p.First.At == TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task HistoryList_survives_a_restart()
    {
        var time = NewClock();
        var store = await CreateStore(time);
        await using (store)
        {
            await EnqueueMany(store, time, 1, queue: "hist-restart");
            var l = await LeaseOne(store, "hist-restart");
            await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]);
        }
        var reopened = await ReopenStore(time);
        if (reopened is null) return; // an in-memory store does not outlive its instance
        await using (reopened)
            Assert.Equal(1, Assert.Single(await History(reopened, "hist-restart", Start, 1)).Succeeded);
    }

    [Fact]
    public async Task QueueList_OldestPendingAt_is_the_longest_waiting_pending_task()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time, queue: "oldest", priority: 1));
        await Enqueue(store, NewTask(time, queue: "oldest-idle", delay: TimeSpan.FromHours(1)));
        time.Advance(TimeSpan.FromSeconds(10));
        await Enqueue(store, NewTask(time, queue: "oldest", priority: 9));
        var q = (await store.QueueList()).Single(x => x.Name == "oldest");
        AssertTime(Start, q.OldestPendingAt);
        // Only scheduled tasks: nothing is waiting.
        Assert.Null((await store.QueueList()).Single(x => x.Name == "oldest-idle").OldestPendingAt);
        // The priority-9 task leases first; the old one still waits.
        Assert.Equal(9, (await LeaseOne(store, "oldest")).Task.Priority);
        AssertTime(Start, (await store.QueueList()).Single(x => x.Name == "oldest").OldestPendingAt);
        await LeaseOne(store, "oldest");
        Assert.Null((await store.QueueList()).Single(x => x.Name == "oldest").OldestPendingAt);
    }

    /// <summary>QueueList's kept counts against counts computed by listing every task of the queue.</summary>
    private static async Task AssertCountsMatchListing(ITaskStore store, string queue, string step)
    {
        var listed = new Dictionary<TaskState, long>();
        foreach (var state in Enum.GetValues<TaskState>())
        {
            long n = 0;
            string? cursor = null;
            do
            {
                var page = await store.TaskList(new TaskListParams(state, queue, Limit: 1000, Cursor: cursor));
                n += page.Items.Count;
                Assert.All(page.Items, t => Assert.Equal(state, t.State));
                cursor = page.NextCursor;
            } while (cursor is not null);
            listed[state] = n;
        }
        var info = (await store.QueueList()).SingleOrDefault(x => x.Name == queue);
        var kept = info is null ? (0L, 0L, 0L, 0L, 0L, 0L) : (info.Pending, info.Scheduled, info.Running, info.Succeeded, info.Failed, info.Cancelled);
        Assert.True(kept == (listed[TaskState.Pending], listed[TaskState.Scheduled], listed[TaskState.Running], listed[TaskState.Succeeded], listed[TaskState.Failed], listed[TaskState.Cancelled]),
            $"after {step}: QueueList {kept} but listing found {string.Join(", ", listed.Select(kv => $"{kv.Key}={kv.Value}"))}");
    }

    [Fact]
    public async Task QueueList_counts_stay_exact_through_every_transition()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        const string q = "counted";
        async Task Check(string step) => await AssertCountsMatchListing(store, q, step);

        await EnqueueMany(store, time, 12, queue: q);
        await Enqueue(store, NewTask(time, queue: q, delay: TimeSpan.FromSeconds(30)));
        await Enqueue(store, NewTask(time, queue: q, maxAttempts: 1, priority: 9));
        await Check("enqueue");
        var dying = await LeaseOne(store, q);
        Assert.Equal(TaskState.Failed, Assert.Single(await store.TaskFailMany([Failure(dying)])).State);
        await Check("fail -> dead");
        var l = await LeaseNow(store, 8, q);
        await Check("lease");
        await store.TaskCompleteMany([new(l[0].Task.Id, l[0].LeaseToken, null), new(l[1].Task.Id, l[1].LeaseToken, null)]);
        await Check("complete");
        await store.TaskFailMany([Failure(l[2])]);
        await Check("fail -> retry");
        await store.TaskFailMany([Failure(l[3], retry: false)]);
        await Check("fail now -> dead");
        await store.TaskReleaseMany([new(l[4].Task.Id, l[4].LeaseToken)]);
        await Check("release");
        await store.TaskCancel(l[5].Task.Id);
        var pendingOne = (await store.TaskList(new TaskListParams(TaskState.Pending, q, Limit: 1))).Items[0];
        await store.TaskCancel(pendingOne.Id);
        await Check("cancel running and pending");
        Assert.Equal(1, await store.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: dying.Task.Id)));
        await Check("redrive");
        Assert.Equal(1, await store.DeadLetterPurge(new DeadLetterPurgeParams(Queue: q)));
        await Check("purge");
        // l[6] and l[7] are left running: their leases expire; the retry and the delayed task fall due.
        time.Advance(LeaseFor + TimeSpan.FromMinutes(10));
        var m = await store.MaintenanceRun(TimeSpan.FromDays(7));
        Assert.Equal(2, m.Reclaimed);
        await Check("maintenance: promote and reclaim");
        var rest = await LeaseNow(store, 100, q);
        await store.TaskCompleteMany(rest.Select(x => new TaskCompleteParams(x.Task.Id, x.LeaseToken, null)).ToList());
        await Check("lease and complete the rest");
        time.Advance(TimeSpan.FromDays(8));
        var expired = await store.MaintenanceRun(TimeSpan.FromDays(7));
        Assert.True(expired.Expired > 0);
        await Check("retention delete");
    }
}
