using System.Text.Json;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// Complete, fail (retries, backoff, dead), extend, release, lease expiry, fencing.
public abstract partial class TaskDeliveryConformanceTests
{
    [Fact]
    public async Task TaskCompleteMany_stores_the_result_and_finishes_the_attempt()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await EnqueueMany(store, time, 2);
        var leased = await LeaseNow(store, 2);
        time.Advance(TimeSpan.FromSeconds(2));
        var results = await store.TaskCompleteMany(leased.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, JsonDocument.Parse("{\"ok\":42}").RootElement)).ToList());
        Assert.All(results, r => Assert.Equal((AckOutcome.Ok, TaskState.Succeeded), (r.Outcome, r.State)));
        foreach (var l in leased)
        {
            var t = await Get(store, l.Task.Id);
            Assert.Equal(TaskState.Succeeded, t.State);
            Assert.Equal(42, t.Result!.Value.GetProperty("ok").GetInt32());
            AssertTime(Start + TimeSpan.FromSeconds(2), t.FinishedAt);
            var attempt = Assert.Single(t.Attempts);
            Assert.Equal(AttemptOutcome.Succeeded, attempt.Outcome);
            AssertTime(Start + TimeSpan.FromSeconds(2), attempt.FinishedAt);
            Assert.Null(t.LeaseDeadline);
        }
        var missing = await store.TaskCompleteMany([new TaskCompleteParams(Conveyor.Engine.TaskIds.New(time), "x", null)]);
        Assert.Equal(AckOutcome.NotFound, Assert.Single(missing).Outcome);
    }

    [Fact]
    public async Task Fencing_a_stale_token_changes_nothing()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time, backoff: BackoffPolicy.None));
        var first = await LeaseOne(store);
        time.Advance(LeaseFor + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);
        var second = await LeaseOne(store);
        Assert.Equal(first.Task.Id, second.Task.Id);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
        var before = Snapshot(await store.TaskGet(first.Task.Id));
        foreach (var token in new[] { first.LeaseToken, "not-a-token" })
        {
            Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskCompleteMany([new(first.Task.Id, token, null)])).Outcome);
            Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskFailMany([new(first.Task.Id, token, new TaskError("E", "m"))])).Outcome);
            var ext = Assert.Single(await store.LeaseExtendMany([new(first.Task.Id, token, TimeSpan.FromMinutes(5), new TaskProgress(99))]));
            Assert.Equal(AckOutcome.StaleLease, ext.Outcome);
            Assert.False(ext.CancelRequested);
            Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskReleaseMany([new(first.Task.Id, token)])).Outcome);
        }
        Assert.Equal(before, Snapshot(await store.TaskGet(first.Task.Id)));
        // The current holder still can.
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(second.Task.Id, second.LeaseToken, null)])).Outcome);
        Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskCompleteMany([new(second.Task.Id, second.LeaseToken, null)])).Outcome);
    }

    [Fact]
    public async Task LeaseExpiry_is_a_failed_attempt_then_dead_after_max_attempts()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = await Enqueue(store, NewTask(time, maxAttempts: 2, backoff: BackoffPolicy.FixedDelay(TimeSpan.FromSeconds(10))));
        await store.TaskLease(LeaseParams(worker: "doomed"));
        time.Advance(LeaseFor - TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);
        Assert.Equal(TaskState.Running, (await Get(store, task.Id)).State);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);
        var retried = await Get(store, task.Id);
        Assert.Equal(TaskState.Scheduled, retried.State);
        Assert.Equal("lease_expired", retried.Error!.Type);
        Assert.Equal(AttemptOutcome.LeaseExpired, Assert.Single(retried.Attempts).Outcome);
        AssertTime(time.GetUtcNow() + TimeSpan.FromSeconds(10), retried.ScheduledFor);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, (await LeaseOne(store)).Task.Attempt);
        time.Advance(LeaseFor + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);
        var dead = await Get(store, task.Id);
        Assert.Equal(TaskState.Failed, dead.State);
        Assert.Equal("lease_expired", dead.Error!.Type);
        Assert.Equal(2, dead.Attempts.Count);
        Assert.All(dead.Attempts, a => Assert.Equal(AttemptOutcome.LeaseExpired, a.Outcome));
        AssertTime(time.GetUtcNow(), dead.FinishedAt);
        Assert.Empty(await LeaseNow(store));
    }

    [Fact]
    public async Task TaskFailMany_with_exponential_backoff_schedules_within_the_jitter_range()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var policy = new BackoffPolicy(BackoffKind.Exponential, TimeSpan.FromSeconds(10), 2.0, TimeSpan.FromHours(1));
        var task = await Enqueue(store, NewTask(time, maxAttempts: 5, backoff: policy));
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var l = await LeaseOne(store);
            Assert.Equal(attempt, l.Task.Attempt);
            var now = time.GetUtcNow();
            var r = Assert.Single(await store.TaskFailMany([Failure(l)]));
            Assert.Equal((AckOutcome.Ok, TaskState.Scheduled), (r.Outcome, r.State));
            var ceiling = TimeSpan.FromSeconds(10 * Math.Pow(2, attempt - 1));
            var t = await Get(store, task.Id);
            Assert.Equal(TaskState.Scheduled, t.State);
            Assert.InRange(t.ScheduledFor, now - TimePrecision, now + ceiling);
            AssertTime(r.ScheduledFor!.Value, t.ScheduledFor);
            Assert.Equal(("TestError", "it broke", "detail"), (t.Error!.Type, t.Error.Message, t.Error.Detail));
            Assert.Equal(AttemptOutcome.Failed, t.Attempts[^1].Outcome);
            Assert.Equal("TestError", t.Attempts[^1].Error!.Type);
            time.Advance(ceiling);
        }
    }

    [Fact]
    public async Task TaskFailMany_with_fixed_backoff_is_not_leasable_before_the_delay()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time, backoff: BackoffPolicy.FixedDelay(TimeSpan.FromSeconds(7))));
        var r = Assert.Single(await store.TaskFailMany([Failure(await LeaseOne(store))]));
        AssertTime(Start + TimeSpan.FromSeconds(7), r.ScheduledFor);
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Empty(await LeaseNow(store));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, (await LeaseOne(store)).Task.Attempt);
    }

    [Fact]
    public async Task A_fixed_backoff_waits_its_base_whatever_its_cap_after_a_failure_and_after_a_lease_expiry()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        // Base and cap differ, so a store that mixes up the policy's fields cannot pass by chance.
        var policy = new BackoffPolicy(BackoffKind.Fixed, TimeSpan.FromSeconds(7), 3.0, TimeSpan.FromHours(1));
        var task = await Enqueue(store, NewTask(time, maxAttempts: 3, backoff: policy));
        var r = Assert.Single(await store.TaskFailMany([Failure(await LeaseOne(store))]));
        AssertTime(time.GetUtcNow() + TimeSpan.FromSeconds(7), r.ScheduledFor);
        time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(2, (await LeaseOne(store)).Task.Attempt);
        time.Advance(LeaseFor + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);
        var retried = await Get(store, task.Id);
        Assert.Equal(TaskState.Scheduled, retried.State);
        AssertTime(time.GetUtcNow() + TimeSpan.FromSeconds(7), retried.ScheduledFor);
        Assert.Equal(policy, retried.Backoff);
    }

    [Fact]
    public async Task TaskFailMany_with_no_backoff_is_leasable_at_once_and_RetryDelay_overrides_the_policy()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time, backoff: BackoffPolicy.None));
        var r = Assert.Single(await store.TaskFailMany([Failure(await LeaseOne(store))]));
        AssertTime(Start, r.ScheduledFor);
        var again = await LeaseOne(store);
        Assert.Equal(2, again.Task.Attempt);
        var delayed = Assert.Single(await store.TaskFailMany([Failure(again, delay: TimeSpan.FromSeconds(42))]));
        AssertTime(Start + TimeSpan.FromSeconds(42), delayed.ScheduledFor);
        AssertTime(Start + TimeSpan.FromSeconds(42), (await Get(store, again.Task.Id)).ScheduledFor);
    }

    [Fact]
    public async Task TaskFailMany_goes_dead_when_retry_is_refused_or_attempts_run_out()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var noRetry = await Enqueue(store, NewTask(time, maxAttempts: 5));
        var last = await Enqueue(store, NewTask(time, maxAttempts: 1));
        var leased = await LeaseNow(store, 2);
        var results = await store.TaskFailMany([Failure(leased[0], retry: false), Failure(leased[1])]);
        Assert.All(results, r => Assert.Equal((AckOutcome.Ok, TaskState.Failed), (r.Outcome, r.State)));
        foreach (var id in new[] { noRetry.Id, last.Id })
        {
            var t = await Get(store, id);
            Assert.Equal(TaskState.Failed, t.State);
            Assert.Equal("TestError", t.Error!.Type);
            AssertTime(Start, t.FinishedAt);
        }
        Assert.Empty(await LeaseNow(store));
    }

    [Fact]
    public async Task LeaseExtendMany_pushes_the_deadline_and_records_progress()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await Enqueue(store, NewTask(time));
        var l = await LeaseOne(store);
        time.Advance(TimeSpan.FromSeconds(20));
        var r = Assert.Single(await store.LeaseExtendMany([new(l.Task.Id, l.LeaseToken, TimeSpan.FromSeconds(60), new TaskProgress(50, "half"))]));
        Assert.Equal(AckOutcome.Ok, r.Outcome);
        Assert.False(r.CancelRequested);
        AssertTime(Start + TimeSpan.FromSeconds(80), r.LeaseDeadline);
        var t = await Get(store, l.Task.Id);
        Assert.Equal(new TaskProgress(50, "half"), t.Progress);
        AssertTime(Start + TimeSpan.FromSeconds(80), t.LeaseDeadline);
        // Past the first deadline, but extended: not reclaimed.
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(0, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaimed);
        Assert.Equal(TaskState.Running, (await Get(store, l.Task.Id)).State);
        // Extending without progress keeps the last progress.
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.LeaseExtendMany([new(l.Task.Id, l.LeaseToken, TimeSpan.FromSeconds(60))])).Outcome);
        Assert.Equal(new TaskProgress(50, "half"), (await Get(store, l.Task.Id)).Progress);
    }

    [Fact]
    public async Task A_task_leased_again_carries_the_last_error_and_starts_with_no_progress()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = await Enqueue(store, NewTask(time, backoff: BackoffPolicy.None));
        var first = await LeaseOne(store);
        Assert.Equal((null, null), (first.Task.Error, first.Task.Progress));
        var progress = new TaskProgress(40, "halfway");
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.LeaseExtendMany([new(task.Id, first.LeaseToken, LeaseFor, progress)])).Outcome);
        Assert.Equal(progress, (await Get(store, task.Id)).Progress);
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskFailMany([Failure(first)])).Outcome);

        // The error is the task's last one until it succeeds; progress belongs to the attempt that
        // reported it, so a new attempt starts without any.
        var second = await LeaseOne(store);
        Assert.Equal(2, second.Task.Attempt);
        Assert.Equal(("TestError", "it broke"), (second.Task.Error?.Type, second.Task.Error?.Message));
        Assert.Null(second.Task.Progress);
        Assert.Null((await Get(store, task.Id)).Progress);
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.LeaseExtendMany([new(task.Id, second.LeaseToken, LeaseFor, progress)])).Outcome);
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskReleaseMany([new(task.Id, second.LeaseToken)])).Outcome);

        // Handed back and leased again: the same attempt number, the same error, no progress.
        var third = await LeaseOne(store);
        Assert.Equal((2, null, "TestError"), (third.Task.Attempt, third.Task.Progress, third.Task.Error?.Type));
        Assert.Null((await Get(store, task.Id)).Progress);
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Released, AttemptOutcome.Running], third.Task.Attempts.Select(a => a.Outcome));
    }

    [Fact]
    public async Task TaskReleaseMany_hands_the_task_back_without_charging_the_attempt()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = await Enqueue(store, NewTask(time, maxAttempts: 1));
        var l = await LeaseOne(store);
        var r = Assert.Single(await store.TaskReleaseMany([new(l.Task.Id, l.LeaseToken)]));
        Assert.Equal((AckOutcome.Ok, TaskState.Pending), (r.Outcome, r.State));
        var released = await Get(store, task.Id);
        Assert.Equal((TaskState.Pending, 0), (released.State, released.Attempt));
        Assert.Equal(AttemptOutcome.Released, Assert.Single(released.Attempts).Outcome);
        var again = await LeaseOne(store);
        Assert.Equal(1, again.Task.Attempt);
        // max_attempts 1 and the release was not charged: this failure is the first and last attempt.
        Assert.Equal(TaskState.Failed, Assert.Single(await store.TaskFailMany([Failure(again)])).State);
    }

    [Fact]
    public async Task Acks_on_an_unknown_task_are_NotFound_and_batches_answer_in_order()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var unknown = Conveyor.Engine.TaskIds.New(time);
        await EnqueueMany(store, time, 3);
        var leased = await LeaseNow(store, 3);
        var results = await store.TaskCompleteMany([
            new(leased[2].Task.Id, leased[2].LeaseToken, null),
            new(unknown, "t", null),
            new(leased[0].Task.Id, "wrong", null),
        ]);
        Assert.Equal([leased[2].Task.Id, unknown, leased[0].Task.Id], results.Select(r => r.TaskId));
        Assert.Equal([AckOutcome.Ok, AckOutcome.NotFound, AckOutcome.StaleLease], results.Select(r => r.Outcome));
        Assert.Equal(TaskState.Running, results[2].State);
        Assert.Equal(AckOutcome.NotFound, Assert.Single(await store.TaskFailMany([new(unknown, "t", new TaskError("E", "m"))])).Outcome);
        Assert.Equal(AckOutcome.NotFound, Assert.Single(await store.LeaseExtendMany([new(unknown, "t", TimeSpan.FromSeconds(5))])).Outcome);
        Assert.Equal(AckOutcome.NotFound, Assert.Single(await store.TaskReleaseMany([new(unknown, "t")])).Outcome);
        Assert.Equal(TaskState.Running, (await Get(store, leased[0].Task.Id)).State);
        Assert.Equal(TaskState.Running, (await Get(store, leased[1].Task.Id)).State);
    }

    [Fact]
    public async Task TaskLease_never_hands_out_more_than_Max()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await EnqueueMany(store, time, 10);
        Assert.Equal(3, (await LeaseNow(store, 3)).Count);
        Assert.Equal(7, (await LeaseNow(store, 100)).Count);
    }
}

public abstract partial class TaskDeliveryConformanceTests
{
    [Fact]
    public async Task Every_way_an_attempt_ends_leaves_one_history_entry_with_its_number_worker_start_and_end()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = await Enqueue(store, NewTask(time, maxAttempts: 10, backoff: BackoffPolicy.None));
        var expected = new List<(int, string, DateTimeOffset, DateTimeOffset, AttemptOutcome)>();

        async Task<LeasedTask> Lease(string worker, int earlier)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            var l = Assert.Single(await store.TaskLease(LeaseParams(1, worker: worker)));
            // While it runs, the attempt is the last entry, and the earlier ones are unchanged.
            Assert.Equal(earlier + 1, l.Task.Attempts.Count);
            var running = l.Task.Attempts[^1];
            Assert.Equal((l.Task.Attempt, worker, AttemptOutcome.Running), (running.Number, running.WorkerId, running.Outcome));
            AssertTime(time.GetUtcNow(), running.StartedAt);
            Assert.Null(running.FinishedAt);
            return l;
        }

        async Task Ended(LeasedTask l, string worker, AttemptOutcome outcome)
        {
            expected.Add((l.Task.Attempt, worker, l.Task.Attempts[^1].StartedAt, time.GetUtcNow(), outcome));
            var t = await Get(store, task.Id);
            Assert.Equal(expected.Count, t.Attempts.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                var (number, w, started, finished, o) = expected[i];
                Assert.Equal((number, w, o), (t.Attempts[i].Number, t.Attempts[i].WorkerId, t.Attempts[i].Outcome));
                AssertTime(started, t.Attempts[i].StartedAt);
                AssertTime(finished, t.Attempts[i].FinishedAt);
            }
        }

        var a = await Lease("w-a", expected.Count);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskFailMany([new(task.Id, a.LeaseToken, new TaskError("E", "boom"))])).Outcome);
        await Ended(a, "w-a", AttemptOutcome.Failed);

        var b = await Lease("w-b", expected.Count);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskReleaseMany([new(task.Id, b.LeaseToken)])).Outcome);
        await Ended(b, "w-b", AttemptOutcome.Released);

        var c = await Lease("w-c", expected.Count);
        time.Advance(LeaseFor + TimeSpan.FromSeconds(1));
        await store.MaintenanceRun(TimeSpan.FromDays(7));
        await Ended(c, "w-c", AttemptOutcome.LeaseExpired);

        var d = await Lease("w-d", expected.Count);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(task.Id, d.LeaseToken, null)])).Outcome);
        await Ended(d, "w-d", AttemptOutcome.Succeeded);

        var other = await Enqueue(store, NewTask(time));
        var e = await Lease("w-e", 0);
        Assert.Equal(other.Id, e.Task.Id);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(CancelOutcome.CancelledWhileRunning, (await store.TaskCancel(other.Id)).Outcome);
        var cancelled = await Get(store, other.Id);
        var only = Assert.Single(cancelled.Attempts);
        Assert.Equal((1, "w-e", AttemptOutcome.Cancelled), (only.Number, only.WorkerId, only.Outcome));
        AssertTime(e.Task.Attempts[^1].StartedAt, only.StartedAt);
        AssertTime(time.GetUtcNow(), only.FinishedAt);
    }
}
