using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Retention;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// Expiry (issue 14 item 4), on fake time: a task not started by its expires_at ends expired with its
// reason and never runs: at lease time (inside the lease transaction), by maintenance for tasks nobody
// leases, for a retry waiting past the expiry; a task started in time is not touched; counts, listing
// and retention know the state. A store without expiry must refuse expiring submissions.
public abstract partial class TaskStoreConformanceTests
{
    private static TaskRecord Expiring(FakeTimeProvider time, string queue, TimeSpan ttl, TimeSpan? delay = null, BackoffPolicy? backoff = null) =>
        TaskValidator.Build(new TaskSubmission
        {
            Type = "exp.test",
            Queue = queue,
            Delay = delay,
            Ttl = ttl,
            Backoff = backoff,
            Args = JsonDocument.Parse("{}").RootElement.Clone(),
        }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    private static void AssertExpired(TaskRecord? t, DateTimeOffset expiresAt)
    {
        Assert.NotNull(t);
        Assert.Equal(TaskState.Expired, t.State);
        Assert.Equal("expired", t.Error?.Type);
        Assert.Contains("not started before its expires_at", t.Error!.Message);
        Assert.Equal(expiresAt, t.ExpiresAt);
        Assert.NotNull(t.FinishedAt);
        Assert.Null(t.WorkerId);
    }

    [Fact]
    public async Task TaskLease_never_hands_out_a_task_past_its_expiry()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        if (!store.SupportsExpiry) return;
        var expiring = await Enqueue(store, Expiring(time, "exp-lease", TimeSpan.FromSeconds(10)));
        var plain = await Enqueue(store, NewTask(time, queue: "exp-lease"));
        Assert.Equal(Start + TimeSpan.FromSeconds(10), expiring.ExpiresAt);
        Assert.Null(plain.ExpiresAt);
        time.Advance(TimeSpan.FromSeconds(11));
        var leased = await store.TaskLease(LeaseParams(max: 10, queues: "exp-lease"));
        Assert.Equal(plain.Id, Assert.Single(leased).Task.Id);
        AssertExpired(await store.TaskGet(expiring.Id), Start + TimeSpan.FromSeconds(10));
        Assert.Empty(await store.TaskLease(LeaseParams(max: 10, queues: "exp-lease")));
        var counts = Assert.Single(await store.QueueList(), q => q.Name == "exp-lease");
        Assert.Equal(1, counts.Expired);
        Assert.Equal(1, counts.Running);
        Assert.Equal(0, counts.Pending);
    }

    [Fact]
    public async Task MaintenanceRun_expires_the_tasks_nobody_leases_and_meters_them()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        if (!store.SupportsExpiry) return;
        var engine = new TaskEngine(store, time);
        var pending = await Enqueue(store, Expiring(time, "exp-maint", TimeSpan.FromSeconds(30)));
        var scheduled = await Enqueue(store, Expiring(time, "exp-maint", TimeSpan.FromSeconds(30), delay: TimeSpan.FromHours(1)));
        var later = await Enqueue(store, Expiring(time, "exp-maint", TimeSpan.FromHours(2)));
        var none = (await engine.MaintenanceRun(new MaintenanceRunParams(RetentionPolicy.Uniform(TimeSpan.FromDays(1))))).Expiries;
        Assert.Empty(none);
        time.Advance(TimeSpan.FromSeconds(31));
        var run = await engine.MaintenanceRun(new MaintenanceRunParams(RetentionPolicy.Uniform(TimeSpan.FromDays(1))));
        var e = Assert.Single(run.Expiries);
        Assert.Equal(("exp-maint", "exp.test", 2), (e.Queue, e.Type, e.Count));
        AssertExpired(await store.TaskGet(pending.Id), Start + TimeSpan.FromSeconds(30));
        AssertExpired(await store.TaskGet(scheduled.Id), Start + TimeSpan.FromSeconds(30));
        Assert.Equal(TaskState.Pending, (await store.TaskGet(later.Id))!.State);
        var counts = Assert.Single(await store.QueueList(), q => q.Name == "exp-maint");
        Assert.Equal((2L, 1L, 0L), (counts.Expired, counts.Pending, counts.Scheduled));
        var listed = await store.TaskList(new TaskListParams(State: TaskState.Expired, Queue: "exp-maint"));
        Assert.Equal(new[] { pending.Id, scheduled.Id }.Order(), listed.Items.Select(t => t.Id).Order());
        var all = await store.TaskList(new TaskListParams(State: TaskState.Expired));
        Assert.Equal(2, all.Items.Count);
        // Terminal: a second run and a cancel change nothing.
        Assert.Empty((await engine.MaintenanceRun(new MaintenanceRunParams(RetentionPolicy.Uniform(TimeSpan.FromDays(1))))).Expiries);
        Assert.Equal(CancelOutcome.AlreadyTerminal, (await store.TaskCancel(pending.Id)).Outcome);
    }

    [Fact]
    public async Task A_retry_waiting_past_the_expiry_ends_expired_instead_of_running()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        if (!store.SupportsExpiry) return;
        var task = await Enqueue(store, Expiring(time, "exp-retry", TimeSpan.FromSeconds(60)));
        var lease = Assert.Single(await store.TaskLease(LeaseParams(queues: "exp-retry")));
        var failed = Assert.Single(await store.TaskFailMany([new(task.Id, lease.LeaseToken, new TaskError("E", "boom"), Retry: true, RetryDelay: TimeSpan.FromSeconds(120))]));
        Assert.Equal(AckOutcome.Ok, failed.Outcome);
        Assert.Equal(TaskState.Scheduled, (await store.TaskGet(task.Id))!.State);
        time.Advance(TimeSpan.FromSeconds(121));
        Assert.Empty(await store.TaskLease(LeaseParams(max: 10, queues: "exp-retry")));
        var t = await store.TaskGet(task.Id);
        AssertExpired(t, Start + TimeSpan.FromSeconds(60));
        Assert.Equal(1, t!.Attempt);
        Assert.Equal(AttemptOutcome.Failed, Assert.Single(t.Attempts).Outcome);
    }

    [Fact]
    public async Task A_task_started_in_time_is_not_expired()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        if (!store.SupportsExpiry) return;
        var engine = new TaskEngine(store, time);
        var task = await Enqueue(store, Expiring(time, "exp-started", TimeSpan.FromSeconds(10)));
        var lease = Assert.Single(await store.TaskLease(LeaseParams(queues: "exp-started")));
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty((await engine.MaintenanceRun(new MaintenanceRunParams(RetentionPolicy.Uniform(TimeSpan.FromDays(1))))).Expiries);
        Assert.Equal(TaskState.Running, (await store.TaskGet(task.Id))!.State);
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(task.Id, lease.LeaseToken, null)])).Outcome);
        Assert.Equal(TaskState.Succeeded, (await store.TaskGet(task.Id))!.State);
        Assert.Equal(0, Assert.Single(await store.QueueList(), q => q.Name == "exp-started").Expired);
    }

    [Fact]
    public async Task Retention_deletes_expired_tasks_by_their_own_rule()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        if (!store.SupportsExpiry) return;
        var engine = new TaskEngine(store, time);
        var task = await Enqueue(store, Expiring(time, "exp-keep", TimeSpan.FromSeconds(5)));
        time.Advance(TimeSpan.FromSeconds(6));
        var policy = new RetentionPolicy { Rules = [new RetentionRule { State = TaskState.Expired, MaxAge = TimeSpan.FromMinutes(10) }] };
        await engine.MaintenanceRun(new MaintenanceRunParams(policy));
        Assert.Equal(TaskState.Expired, (await store.TaskGet(task.Id))!.State);
        time.Advance(TimeSpan.FromMinutes(11));
        await engine.MaintenanceRun(new MaintenanceRunParams(policy));
        Assert.Null(await store.TaskGet(task.Id));
        Assert.DoesNotContain(await store.QueueList(), q => q.Name == "exp-keep" && q.Expired != 0);
    }

    [Fact]
    public async Task Submit_with_expiry_is_refused_with_a_precise_problem_or_stored_with_its_expiry()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var both = await Assert.ThrowsAsync<ConveyorValidationException>(() => engine.Submit(new TaskSubmission
            { Type = "exp.test", Queue = "exp-valid", Ttl = TimeSpan.FromSeconds(5), ExpiresAt = Start.AddMinutes(1) }).AsTask());
        Assert.Contains(both.Errors, e => e.Field == "expires_at" && e.Message.Contains("not both"));
        var zero = await Assert.ThrowsAsync<ConveyorValidationException>(() => engine.Submit(new TaskSubmission
            { Type = "exp.test", Queue = "exp-valid", Ttl = TimeSpan.Zero }).AsTask());
        Assert.Contains(zero.Errors, e => e.Field == "ttl");
        var past = await Assert.ThrowsAsync<ConveyorValidationException>(() => engine.Submit(new TaskSubmission
            { Type = "exp.test", Queue = "exp-valid", ExpiresAt = Start.AddMinutes(-5) }).AsTask());
        Assert.Contains(past.Errors, e => e.Field == "expires_at" && e.Message.Contains("in the past"));
        Assert.Empty((await store.TaskList(new TaskListParams(Queue: "exp-valid"))).Items);
        var submit = new TaskSubmission { Type = "exp.test", Queue = "exp-valid", ExpiresAt = Start.AddSeconds(-1) }; // a little in the past: accepted
        if (!store.SupportsExpiry)
        {
            var refused = await Assert.ThrowsAsync<ConveyorValidationException>(() => engine.Submit(submit).AsTask());
            Assert.Contains(refused.Errors, e => e.Field == "expires_at" && e.Message.Contains("does not support expiry"));
            Assert.Empty((await store.TaskList(new TaskListParams(Queue: "exp-valid"))).Items);
            return;
        }
        var stored = await engine.Submit(submit);
        Assert.Equal(Start.AddSeconds(-1), stored.Task.ExpiresAt);
        Assert.Empty(await store.TaskLease(LeaseParams(queues: "exp-valid")));
        Assert.Equal(TaskState.Expired, (await store.TaskGet(stored.Task.Id))!.State);
    }
}
