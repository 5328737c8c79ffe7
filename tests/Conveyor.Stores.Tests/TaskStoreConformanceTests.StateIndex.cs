using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// redis-index: TaskList by state reads an index every transition keeps (Redis: the state index "ix";
// SQLite: its indexes). After each kind of transition, every state's listing, in one queue and across
// queues, holds exactly the tasks TaskGet says are in that state, newest first.
public abstract partial class TaskStoreConformanceTests
{
    private static async Task<List<TaskRecord>> ListEvery(ITaskStore store, TaskListParams query)
    {
        var all = new List<TaskRecord>();
        string? cursor = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await store.TaskList(query with { Cursor = cursor, Limit = 3 });
            all.AddRange(page.Items);
            if ((cursor = page.NextCursor) is null) return all;
        }
        throw new InvalidOperationException("the listing did not end");
    }

    [Fact]
    public async Task TaskList_by_state_follows_every_transition()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var queueOf = new Dictionary<string, string>();
        var a = await EnqueueMany(store, time, 8, queue: "ix-a");
        var b = await EnqueueMany(store, time, 4, queue: "ix-b");
        var late = await Enqueue(store, NewTask(time, queue: "ix-b", delay: TimeSpan.FromMinutes(5)));
        var once = await Enqueue(store, NewTask(time, queue: "ix-a", maxAttempts: 1, priority: 9));
        foreach (var t in a.Append(once)) queueOf[t.Id] = "ix-a";
        foreach (var t in b.Append(late)) queueOf[t.Id] = "ix-b";
        var ids = queueOf.Keys.ToHashSet();
        async Task Check(string step)
        {
            // Per queue: what TaskGet says, against the listing of that queue.
            foreach (var state in Enum.GetValues<TaskState>())
                foreach (var queue in new[] { "ix-a", "ix-b" })
                {
                    var want = new List<string>();
                    foreach (var id in ids.Where(i => queueOf[i] == queue))
                        if (await store.TaskGet(id) is { } t && t.State == state) want.Add(id);
                    var listed = (await ListEvery(store, new TaskListParams(state, queue))).Select(t => t.Id).ToList();
                    Assert.True(want.Order(StringComparer.Ordinal).SequenceEqual(listed.Order(StringComparer.Ordinal)), $"after {step}: {state} in {queue}");
                    Assert.True(listed.SequenceEqual(listed.OrderDescending(StringComparer.Ordinal)), $"after {step}: {state} in {queue} is not newest first");
                }
            await AssertListingsMatchStatesAcross(store, ids, step);
        }

        await Check("enqueue");
        var dying = await LeaseOne(store, "ix-a");
        await store.TaskFailMany([Failure(dying)]);
        await Check("fail -> dead");
        var l = await LeaseNow(store, 7, "ix-a");
        var lb = await LeaseNow(store, 2, "ix-b");
        await Check("lease");
        await store.TaskCompleteMany([new(l[0].Task.Id, l[0].LeaseToken, null), new(lb[0].Task.Id, lb[0].LeaseToken, null)]);
        await Check("complete");
        await store.TaskFailMany([Failure(l[1]), Failure(l[2], retry: false)]);
        await Check("fail -> retry, fail -> dead");
        await store.TaskReleaseMany([new(l[3].Task.Id, l[3].LeaseToken)]);
        await Check("release");
        await store.TaskCancel(l[4].Task.Id);
        await store.TaskCancel(late.Id);
        await store.TaskCancel((await store.TaskList(new TaskListParams(TaskState.Pending, "ix-b", Limit: 1))).Items[0].Id);
        await Check("cancel running, scheduled and pending");
        await store.TaskRetryMany([l[1].Task.Id, l[4].Task.Id, l[2].Task.Id]);
        await Check("retry now: scheduled, cancelled and dead");
        await store.TaskDeleteMany([l[4].Task.Id, b[^1].Id]);
        await Check("delete");
        Assert.Equal(1, await store.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: dying.Task.Id)));
        await Check("redrive");
        var doomed = await LeaseOne(store, "ix-a");
        await store.TaskFailMany([Failure(doomed, retry: false)]);
        Assert.Equal(1, await store.DeadLetterPurge(new DeadLetterPurgeParams(Queue: "ix-a")));
        await Check("purge");
        // l[5], l[6] and lb[1] are left running: their leases expire and are reclaimed.
        time.Advance(LeaseFor + TimeSpan.FromMinutes(10));
        Assert.True((await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed >= 3);
        await Check("maintenance: reclaim");
        var rest = await LeaseNow(store, 100, "ix-a", "ix-b");
        await store.TaskCompleteMany([.. rest.Select(x => new TaskCompleteParams(x.Task.Id, x.LeaseToken, null))]);
        await Check("lease and complete the rest (promoting the due retry)");
        time.Advance(TimeSpan.FromDays(8));
        Assert.True((await store.MaintenanceRun(TimeSpan.FromDays(7))).Expired > 0);
        await Check("retention");
    }

    /// <summary>Across queues (no queue filter), every state's listing and the listing of every state.</summary>
    private static async Task AssertListingsMatchStatesAcross(ITaskStore store, IReadOnlySet<string> ids, string step)
    {
        var truth = new Dictionary<string, TaskState>();
        foreach (var id in ids)
            if (await store.TaskGet(id) is { } t) truth[id] = t.State;
        foreach (var state in Enum.GetValues<TaskState>())
        {
            var listed = (await ListEvery(store, new TaskListParams(state))).Select(t => t.Id).Where(ids.Contains).ToList();
            var want = truth.Where(kv => kv.Value == state).Select(kv => kv.Key).Order(StringComparer.Ordinal);
            Assert.True(want.SequenceEqual(listed.Order(StringComparer.Ordinal)), $"after {step}: {state} across queues");
            Assert.True(listed.SequenceEqual(listed.OrderDescending(StringComparer.Ordinal)), $"after {step}: {state} across queues is not newest first");
        }
        var everything = (await ListEvery(store, new TaskListParams())).Select(t => t.Id).Where(ids.Contains).ToList();
        Assert.True(truth.Keys.Order(StringComparer.Ordinal).SequenceEqual(everything.Order(StringComparer.Ordinal)), $"after {step}: the listing of every state");
        Assert.True(everything.SequenceEqual(everything.OrderDescending(StringComparer.Ordinal)), $"after {step}: the listing of every state is not newest first");
    }
}
