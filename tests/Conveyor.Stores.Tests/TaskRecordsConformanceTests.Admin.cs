using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// Cancel, dead letters, idempotency, retention, counts.
public abstract partial class TaskRecordsConformanceTests
{
    [Fact]
    public async Task TaskCancel_pending_and_scheduled_tasks_at_once()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var pending = await Enqueue(store, NewTask(time));
        var scheduled = await Enqueue(store, NewTask(time, delay: TimeSpan.FromSeconds(5)));
        foreach (var id in new[] { pending.Id, scheduled.Id })
        {
            var r = await store.TaskCancel(id);
            Assert.Equal(CancelOutcome.Cancelled, r.Outcome);
            Assert.Equal(TaskState.Cancelled, r.Task!.State);
            var t = await Get(store, id);
            Assert.Equal(TaskState.Cancelled, t.State);
            AssertTime(Start, t.FinishedAt);
        }
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(await LeaseNow(store, 10));
        var again = await store.TaskCancel(pending.Id);
        Assert.Equal(CancelOutcome.AlreadyTerminal, again.Outcome);
        Assert.Equal(TaskState.Cancelled, again.Task!.State);
        Assert.Equal(CancelOutcome.NotFound, (await store.TaskCancel(TaskIds.New(time))).Outcome);
    }

    [Fact]
    public async Task TaskCancel_running_fences_the_lease_and_the_heartbeat_asks_to_cancel()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time));
        var l = await LeaseOne(store);
        var r = await store.TaskCancel(l.Task.Id);
        Assert.Equal(CancelOutcome.CancelledWhileRunning, r.Outcome);
        Assert.Equal(TaskState.Cancelled, r.Task!.State);
        var cancelled = Snapshot(await store.TaskGet(l.Task.Id));
        // The heartbeat of the holder learns it: Ok with CancelRequested (the deadline is not extended).
        var hb = Assert.Single(await store.LeaseExtendMany([new(l.Task.Id, l.LeaseToken, TimeSpan.FromSeconds(30), new TaskProgress(10))]));
        Assert.True(hb.CancelRequested);
        Assert.Equal(AckOutcome.Ok, hb.Outcome);
        // Anyone else's token is just stale.
        Assert.False(Assert.Single(await store.LeaseExtendMany([new(l.Task.Id, "other", TimeSpan.FromSeconds(30))])).CancelRequested);
        Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)])).Outcome);
        Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskFailMany([Failure(l)])).Outcome);
        Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskReleaseMany([new(l.Task.Id, l.LeaseToken)])).Outcome);
        Assert.Equal(cancelled, Snapshot(await store.TaskGet(l.Task.Id)));
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);
        Assert.Equal(TaskState.Cancelled, (await Get(store, l.Task.Id)).State);
    }

    [Fact]
    public async Task TaskCancel_of_a_finished_task_is_AlreadyTerminal()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time));
        var l = await LeaseOne(store);
        await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]);
        var r = await store.TaskCancel(l.Task.Id);
        Assert.Equal(CancelOutcome.AlreadyTerminal, r.Outcome);
        Assert.Equal(TaskState.Succeeded, (await Get(store, l.Task.Id)).State);
    }

    private async Task<List<TaskRecord>> MakeDead(ITaskStore store, FakeTimeProvider time, int count, string queue)
    {
        var tasks = new List<TaskRecord>();
        for (var i = 0; i < count; i++) tasks.Add(await Enqueue(store, NewTask(time, queue: queue, maxAttempts: 1)));
        foreach (var l in await LeaseNow(store, count, queue))
            Assert.Equal(TaskState.Failed, Assert.Single(await store.TaskFailMany([Failure(l)])).State);
        return tasks;
    }

    [Fact]
    public async Task DeadLetter_list_redrive_and_purge()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var deadA = await MakeDead(store, time, 3, "a");
        var deadB = await MakeDead(store, time, 2, "b");
        var alive = await Enqueue(store, NewTask(time, queue: "a"));
        var page = await store.TaskList(new TaskListParams(State: TaskState.Failed, Queue: "a"));
        Assert.Equal(deadA.Select(t => t.Id).Order(), page.Items.Select(t => t.Id).Order());

        Assert.Equal(1, await store.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: deadA[0].Id)));
        var redriven = await Get(store, deadA[0].Id);
        Assert.Equal((TaskState.Pending, 0), (redriven.State, redriven.Attempt));
        Assert.Single(redriven.Attempts);
        Assert.Null(redriven.FinishedAt);
        Assert.Equal(0, await store.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: alive.Id)));
        Assert.Equal(2, await store.DeadLetterRedrive(new DeadLetterRedriveParams(Queue: "a")));
        foreach (var t in deadB) Assert.Equal(TaskState.Failed, (await Get(store, t.Id)).State);
        var leased = await LeaseNow(store, 10, "a");
        Assert.Equal(4, leased.Count);
        Assert.Equal(1, leased.Single(l => l.Task.Id == deadA[1].Id).Task.Attempt);

        Assert.Equal(1, await store.DeadLetterPurge(new DeadLetterPurgeParams(TaskId: deadB[0].Id)));
        Assert.Null(await store.TaskGet(deadB[0].Id));
        Assert.Equal(0, await store.DeadLetterPurge(new DeadLetterPurgeParams(TaskId: alive.Id)));
        Assert.Equal(1, await store.DeadLetterPurge(new DeadLetterPurgeParams(Queue: "b")));
        Assert.Null(await store.TaskGet(deadB[1].Id));
        Assert.NotNull(await store.TaskGet(alive.Id));
    }

    [Fact]
    public async Task DeadLetterRedrive_without_filter_moves_every_dead_task_up_to_the_limit()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await MakeDead(store, time, 2, "a");
        await MakeDead(store, time, 2, "b");
        Assert.Equal(3, await store.DeadLetterRedrive(new DeadLetterRedriveParams(Limit: 3)));
        Assert.Equal(1, await store.DeadLetterRedrive(new DeadLetterRedriveParams()));
        Assert.Empty((await store.TaskList(new TaskListParams(State: TaskState.Failed))).Items);
    }

    [Fact]
    public async Task Idempotency_key_returns_the_first_task_within_its_queue_and_window()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var first = await store.TaskEnqueueMany([NewTask(time, key: "order-1")]);
        Assert.True(first[0].Created);
        var repeat = await store.TaskEnqueueMany([NewTask(time, key: "order-1")]);
        Assert.False(repeat[0].Created);
        Assert.Equal(first[0].Task.Id, repeat[0].Task.Id);
        var otherQueue = await store.TaskEnqueueMany([NewTask(time, queue: "other", key: "order-1")]);
        Assert.True(otherQueue[0].Created);
        var batch = await store.TaskEnqueueMany([NewTask(time, key: "order-2"), NewTask(time, key: "order-2")]);
        Assert.True(batch[0].Created);
        Assert.False(batch[1].Created);
        Assert.Equal(batch[0].Task.Id, batch[1].Task.Id);
        Assert.Null(await store.TaskGet(NewTask(time).Id));
        Assert.Equal(3, (await store.TaskList(new TaskListParams())).Items.Count);

        time.Advance(TaskDefaults.IdempotencyWindow + TimeSpan.FromSeconds(1));
        var later = await store.TaskEnqueueMany([NewTask(time, key: "order-1")]);
        Assert.True(later[0].Created);
        Assert.NotEqual(first[0].Task.Id, later[0].Task.Id);
    }

    [Fact]
    public async Task MaintenanceRun_removes_old_terminal_tasks_only()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var retention = TimeSpan.FromDays(7);
        var old = await Enqueue(store, NewTask(time));
        var oldPending = await Enqueue(store, NewTask(time));
        var oldScheduled = await Enqueue(store, NewTask(time, delay: TimeSpan.FromDays(30)));
        var l = await LeaseOne(store);
        Assert.Equal(old.Id, l.Task.Id);
        await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]);
        var oldDead = (await MakeDead(store, time, 1, "dlq"))[0];
        time.Advance(TimeSpan.FromDays(6));
        var recent = await Enqueue(store, NewTask(time, queue: "recent"));
        Assert.Equal(CancelOutcome.Cancelled, (await store.TaskCancel(recent.Id)).Outcome);
        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var result = await store.MaintenanceRun(retention);
        Assert.Equal(2, result.Expired);
        Assert.Null(await store.TaskGet(old.Id));
        Assert.Null(await store.TaskGet(oldDead.Id));
        Assert.NotNull(await store.TaskGet(recent.Id));
        Assert.Equal(TaskState.Pending, (await Get(store, oldPending.Id)).State);
        Assert.Equal(TaskState.Scheduled, (await Get(store, oldScheduled.Id)).State);
    }

    [Fact]
    public async Task Retention_counts_from_a_redriven_task_s_last_finish_and_passes_over_purged_tasks()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var retention = TimeSpan.FromDays(7);
        var dead = await MakeDead(store, time, 3, "r");
        // One is redriven and dies again five days later, one is purged, one stays dead.
        Assert.Equal(1, await store.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: dead[0].Id)));
        Assert.Equal(1, await store.DeadLetterPurge(new DeadLetterPurgeParams(TaskId: dead[1].Id)));
        time.Advance(TimeSpan.FromDays(5));
        var again = await LeaseOne(store, "r");
        Assert.Equal(dead[0].Id, again.Task.Id);
        Assert.Equal(TaskState.Failed, Assert.Single(await store.TaskFailMany([Failure(again, retry: false)])).State);

        // Seven days after the first deaths: only the task that stayed dead is due.
        time.Advance(TimeSpan.FromDays(2) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await store.MaintenanceRun(retention)).Expired);
        Assert.Null(await store.TaskGet(dead[2].Id));
        Assert.Equal(TaskState.Failed, (await Get(store, dead[0].Id)).State);
        Assert.Equal(1, Assert.Single(await store.QueueList(), q => q.Name == "r").Failed);

        // Seven days after its second death, the redriven one goes too; then nothing is left to do.
        time.Advance(TimeSpan.FromDays(5));
        Assert.Equal(1, (await store.MaintenanceRun(retention)).Expired);
        Assert.Null(await store.TaskGet(dead[0].Id));
        Assert.Equal(0, (await store.MaintenanceRun(retention)).Expired);
        Assert.DoesNotContain(await store.QueueList(), q => q.Name == "r" && q.Failed != 0);
    }

    [Fact]
    public async Task Retention_works_through_more_finished_tasks_than_one_step_holds()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        const int n = 2_500;
        await EnqueueMany(store, time, n, queue: "many");
        var done = 0;
        while (done < n)
        {
            var leased = await LeaseNow(store, 1000, "many");
            Assert.All(await store.TaskCompleteMany([.. leased.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]), r => Assert.Equal(AckOutcome.Ok, r.Outcome));
            done += leased.Count;
        }
        time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        Assert.Equal(n, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Expired);
        Assert.DoesNotContain(await store.QueueList(), q => q.Name == "many" && q.Succeeded != 0);
        Assert.Equal(0, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Expired);
    }

    [Fact]
    public async Task MaintenanceRun_promotes_due_tasks()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var due = await Enqueue(store, NewTask(time, delay: TimeSpan.FromSeconds(5)));
        var later = await Enqueue(store, NewTask(time, delay: TimeSpan.FromSeconds(50)));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Promoted);
        Assert.Equal(TaskState.Pending, (await Get(store, due.Id)).State);
        Assert.Equal(TaskState.Scheduled, (await Get(store, later.Id)).State);
    }

    [Fact]
    public async Task QueueList_counts_tasks_by_state()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await EnqueueMany(store, time, 6, queue: "q");
        await Enqueue(store, NewTask(time, queue: "q", delay: TimeSpan.FromMinutes(1)));
        var leased = await LeaseNow(store, 4, "q");
        await store.TaskCompleteMany([new(leased[0].Task.Id, leased[0].LeaseToken, null)]);
        await store.TaskFailMany([Failure(leased[1], retry: false)]);
        await store.TaskCancel(leased[2].Task.Id);
        await store.QueuePause("empty-paused");
        var queues = await store.QueueList();
        var q = Assert.Single(queues, x => x.Name == "q");
        Assert.Equal(new QueueInfo("q", false, Pending: 2, Scheduled: 1, Running: 1, Succeeded: 1, Failed: 1, Cancelled: 1), q with { OldestPendingAt = null });
        AssertTime(Start, q.OldestPendingAt);
        Assert.Equal(new QueueInfo("empty-paused", true, 0, 0, 0, 0, 0, 0), Assert.Single(queues, x => x.Name == "empty-paused"));
        Assert.Equal(2, queues.Count);
    }
}
