using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// TaskRetryMany, TaskDeleteMany, BulkActionRecord/List (and BulkAction through the engine), DeadLetterGroups, redrive with new args.
public abstract partial class TaskRecordsConformanceTests
{
    [Fact]
    public async Task TaskRetryMany_moves_scheduled_now_and_redrives_failed_and_cancelled()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var later = await Enqueue(store, NewTask(time, queue: "r", delay: TimeSpan.FromHours(1)));
        // A fixed backoff: full jitter can draw ~0 ms, and a retry due at once would be promoted to
        // pending by the next lease (MakeDead's), which "retry now" rightly refuses.
        await Enqueue(store, NewTask(time, queue: "r", maxAttempts: 3, backoff: BackoffPolicy.FixedDelay(TimeSpan.FromMinutes(1))));
        var failedOnce = await FailWith(store, "r", "E", "once", dead: false); // scheduled by backoff, attempt 1
        var dead = (await MakeDead(store, time, 1, "r"))[0];
        var cancelled = await Enqueue(store, NewTask(time, queue: "r", delay: TimeSpan.FromHours(2)));
        Assert.Equal(CancelOutcome.Cancelled, (await store.TaskCancel(cancelled.Id)).Outcome);
        var cancelledCount = Assert.Single(await store.QueueList(), q => q.Name == "r").Cancelled;
        var missing = TaskIds.New(time);

        var results = await store.TaskRetryMany([later.Id, failedOnce.Task.Id, dead.Id, cancelled.Id, missing]);
        Assert.Equal([later.Id, failedOnce.Task.Id, dead.Id, cancelled.Id, missing], results.Select(r => r.TaskId));
        Assert.Equal([RetryOutcome.Retried, RetryOutcome.Retried, RetryOutcome.Retried, RetryOutcome.Retried, RetryOutcome.NotFound], results.Select(r => r.Outcome));
        var retried = await Get(store, failedOnce.Task.Id);
        Assert.Equal((TaskState.Pending, 1), (retried.State, retried.Attempt));
        AssertTime(Start, retried.ScheduledFor);
        var redriven = await Get(store, dead.Id);
        Assert.Equal((TaskState.Pending, 0, 1), (redriven.State, redriven.Attempt, redriven.Attempts.Count));
        Assert.Null(redriven.FinishedAt);
        var uncancelled = await Get(store, cancelled.Id);
        Assert.Equal((TaskState.Pending, 0), (uncancelled.State, uncancelled.Attempt));
        Assert.Null(uncancelled.FinishedAt);
        var counts = Assert.Single(await store.QueueList(), q => q.Name == "r");
        Assert.Equal((4L, 0L, 0L, cancelledCount - 1), (counts.Pending, counts.Scheduled, counts.Failed, counts.Cancelled));

        // All four are ready now, without moving the clock; the retried-after-failure one keeps its attempt count.
        var leased = await LeaseNow(store, 10, "r");
        Assert.Equal(4, leased.Count);
        Assert.Equal(2, leased.Single(l => l.Task.Id == failedOnce.Task.Id).Task.Attempt);
        Assert.Equal(1, leased.Single(l => l.Task.Id == cancelled.Id).Task.Attempt);
    }

    [Fact]
    public async Task TaskRetryMany_refuses_pending_running_and_succeeded_and_changes_nothing()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time));
        var l = await LeaseOne(store);
        await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]);
        await Enqueue(store, NewTask(time));
        var running = await LeaseOne(store);
        var pending = await Enqueue(store, NewTask(time));
        var before = new[] { Snapshot(await store.TaskGet(l.Task.Id)), Snapshot(await store.TaskGet(running.Task.Id)), Snapshot(await store.TaskGet(pending.Id)) };
        var results = await store.TaskRetryMany([l.Task.Id, running.Task.Id, pending.Id]);
        Assert.All(results, r => Assert.Equal(RetryOutcome.WrongState, r.Outcome));
        Assert.Equal([TaskState.Succeeded, TaskState.Running, TaskState.Pending], results.Select(r => r.State!.Value));
        Assert.Equal(before, new[] { Snapshot(await store.TaskGet(l.Task.Id)), Snapshot(await store.TaskGet(running.Task.Id)), Snapshot(await store.TaskGet(pending.Id)) });
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(running.Task.Id, running.LeaseToken, null)])).Outcome);
    }

    [Fact]
    public async Task TaskDeleteMany_removes_tasks_in_every_state_but_running_with_their_index_entries()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var keyed = await Enqueue(store, NewTask(time, queue: "d", key: "k-1"));
        var scheduled = await Enqueue(store, NewTask(time, queue: "d", delay: TimeSpan.FromMinutes(1)));
        await Enqueue(store, NewTask(time, queue: "d"));
        await Enqueue(store, NewTask(time, queue: "d"));
        var leased = await LeaseNow(store, 3, "d");
        Assert.Equal(keyed.Id, leased[0].Task.Id);
        await store.TaskCompleteMany([new(leased[0].Task.Id, leased[0].LeaseToken, null)]);
        var running = leased[1];
        var dead = await store.TaskFailMany([new(leased[2].Task.Id, leased[2].LeaseToken, new TaskError("E", "x"), Retry: false)]);
        Assert.Equal(TaskState.Failed, dead[0].State);
        var pending = await Enqueue(store, NewTask(time, queue: "d"));

        var results = await store.TaskDeleteMany([keyed.Id, scheduled.Id, leased[2].Task.Id, pending.Id, running.Task.Id, TaskIds.New(time)]);
        Assert.Equal([DeleteOutcome.Deleted, DeleteOutcome.Deleted, DeleteOutcome.Deleted, DeleteOutcome.Deleted, DeleteOutcome.Running, DeleteOutcome.NotFound],
            results.Select(r => r.Outcome));
        foreach (var id in new[] { keyed.Id, scheduled.Id, leased[2].Task.Id, pending.Id }) Assert.Null(await store.TaskGet(id));
        Assert.Equal(TaskState.Running, (await Get(store, running.Task.Id)).State);
        Assert.Equal([running.Task.Id], await All(store, new TaskListParams(Queue: "d")));
        var counts = Assert.Single(await store.QueueList(), q => q.Name == "d");
        Assert.Equal((0L, 0L, 1L, 0L, 0L), (counts.Pending, counts.Scheduled, counts.Running, counts.Succeeded, counts.Failed));
        // The key the deleted task held is free: a new submission with it creates a new task.
        var again = Assert.Single(await store.TaskEnqueueMany([NewTask(time, queue: "d", key: "k-1")]));
        Assert.True(again.Created);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(again.Task.Id, (await LeaseOne(store, "d")).Task.Id);
        time.Advance(TimeSpan.FromDays(8));
        await store.MaintenanceRun(TimeSpan.FromDays(7));
        Assert.NotNull(await store.TaskGet(running.Task.Id));
    }

    [Fact]
    public async Task BulkActionRecord_keeps_the_newest_and_BulkActionList_reads_them_newest_first()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        Assert.Empty(await store.BulkActionList(50));
        var filter = JsonDocument.Parse("""{"state":"failed","error_type":"ValueError"}""").RootElement.Clone();
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await store.BulkActionRecord(new BulkActionRecord(TaskIds.New(time), time.GetUtcNow(), $"ops-{i}", "retry", i == 1 ? null : filter, i == 1 ? 4 : 0, 10 + i, i));
        }
        var list = await store.BulkActionList(2);
        Assert.Equal(["ops-2", "ops-1"], list.Select(r => r.Actor));
        Assert.Equal(("retry", 0, 12L, 2L), (list[0].Action, list[0].IdsCount, list[0].Matched, list[0].Changed));
        Assert.Equal("ValueError", list[0].Filter!.Value.GetProperty("error_type").GetString());
        Assert.Null(list[1].Filter);
        Assert.Equal(4, list[1].IdsCount);
        AssertTime(Start + TimeSpan.FromSeconds(3), list[0].At);
        Assert.Equal(3, (await store.BulkActionList(50)).Count);
    }

    [Fact]
    public async Task DeadLetterGroups_counts_dead_tasks_by_error_type_per_queue_or_all()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        foreach (var (queue, type, message) in new[] { ("a", "ValueError", "v1"), ("a", "ValueError", "v2"), ("a", "KeyError", "k1"), ("b", "ValueError", "v3") })
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Enqueue(store, NewTask(time, queue: queue, maxAttempts: 1));
            await FailWith(store, queue, type, message);
        }
        await Enqueue(store, NewTask(time, queue: "a", maxAttempts: 2));
        await FailWith(store, "a", "ValueError", "not dead", dead: false);

        var all = await store.DeadLetterGroups(null);
        Assert.True(all.Complete);
        Assert.Equal([("ValueError", 3L), ("KeyError", 1L)], all.Groups.Select(g => (g.ErrorType, g.Count)));
        var value = all.Groups[0];
        Assert.Equal("v3", value.SampleMessage);
        AssertTime(Start + TimeSpan.FromSeconds(4), value.LastAt);
        var a = await store.DeadLetterGroups("a");
        Assert.Equal([("ValueError", 2L, "v2"), ("KeyError", 1L, "k1")], a.Groups.Select(g => (g.ErrorType, g.Count, g.SampleMessage)));
        Assert.Empty((await store.DeadLetterGroups("nothing-here")).Groups);
    }

    [Fact]
    public async Task DeadLetterRedrive_with_args_replaces_them_for_that_task_only()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var dead = await MakeDead(store, time, 2, "e");
        var args = JsonDocument.Parse("""{"n":42,"s":"edited"}""").RootElement.Clone();
        Assert.Equal(1, await store.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: dead[0].Id) { Args = args }));
        var edited = await Get(store, dead[0].Id);
        Assert.Equal((TaskState.Pending, 42, "edited"), (edited.State, edited.Args.GetProperty("n").GetInt32(), edited.Args.GetProperty("s").GetString()));
        Assert.Equal(1, (await Get(store, dead[1].Id)).Args.GetProperty("n").GetInt32());
        var leased = await LeaseOne(store, "e");
        Assert.Equal(42, leased.Task.Args.GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task BulkAction_through_the_engine_walks_every_match_page_by_page_and_records_it()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        // More matches than one store call takes (TaskEngine.BulkBatch), in two queues, between tasks that do not match.
        var matching = TaskEngine.BulkBatch + 120;
        var tasks = Enumerable.Range(0, matching * 2).Select(i =>
            Tagged(time, i % 3 == 0 ? "bulk-a" : "bulk-b", i % 2 == 0 ? "sweep" : "keep") with
            {
                State = TaskState.Scheduled, ScheduledFor = Start + TimeSpan.FromHours(1),
            }).ToList();
        Assert.All(await store.TaskEnqueueMany(tasks), r => Assert.True(r.Created));
        var request = new BulkActionRequest { Action = "retry", Filter = new BulkFilter { State = "scheduled", Tag = "env=sweep" }, DryRun = true };

        var dry = await engine.BulkAction(request, "tester");
        Assert.Equal((matching, 0L, (string?)null), (dry.Matched, dry.Changed, dry.Id));
        Assert.Empty(await store.BulkActionList(10));
        Assert.Equal(matching * 2L, (await store.QueueList()).Sum(q => q.Scheduled));

        var done = await engine.BulkAction(request with { DryRun = false }, "tester");
        Assert.Equal((matching, (long)matching), (done.Matched, done.Changed));
        var counts = await store.QueueList();
        Assert.Equal(((long)matching, (long)matching), (counts.Sum(q => q.Pending), counts.Sum(q => q.Scheduled)));
        var swept = tasks.Where(t => t.Metadata["env"] == "sweep").Select(t => t.Id).ToHashSet();
        Assert.All(await All(store, new TaskListParams(State: TaskState.Pending, Limit: 1000)), id => Assert.Contains(id, swept));
        var record = Assert.Single(await store.BulkActionList(10));
        Assert.Equal((done.Id, "tester", "retry", (long)matching, (long)matching), (record.Id, record.Actor, record.Action, record.Matched, record.Changed));
        Assert.Equal("env=sweep", record.Filter!.Value.GetProperty("tag").GetString());

        // Delete what is left by ids: a running task is matched, not changed.
        await engine.SubmitMany([new TaskSubmission { Type = "x", Queue = "bulk-c" }]);
        var running = await LeaseOne(store, "bulk-c");
        var left = tasks.Where(t => !swept.Contains(t.Id)).Select(t => t.Id).Take(3).Append(running.Task.Id).ToList();
        var deleted = await engine.BulkAction(new BulkActionRequest { Action = "delete", Ids = left }, "tester");
        Assert.Equal((4L, 3L), (deleted.Matched, deleted.Changed));
        Assert.Equal(TaskState.Running, (await Get(store, running.Task.Id)).State);
        Assert.Equal(2, (await store.BulkActionList(10)).Count);
    }
}
