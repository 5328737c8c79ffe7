using System.Collections.Concurrent;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// TaskLease: ordering, priorities, queue preference, delays, blocking, concurrency.
public abstract partial class TaskDeliveryConformanceTests
{
    [Fact]
    public async Task TaskLease_is_fifo_within_a_priority_even_within_one_millisecond()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        // Same clock reading for all: UUIDv7 ids are NOT ordered within a millisecond, the store's sequence is.
        var ids = new List<string>();
        for (var i = 0; i < 15; i++) ids.Add((await Enqueue(store, NewTask(time))).Id);
        var leased = new List<string>();
        for (var i = 0; i < 4; i++) leased.AddRange((await LeaseNow(store, 4)).Select(l => l.Task.Id));
        Assert.Equal(ids, leased);
    }

    [Fact]
    public async Task TaskLease_takes_priority_9_first_then_fifo()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var p0 = await Enqueue(store, NewTask(time, priority: 0));
        var p9a = await Enqueue(store, NewTask(time, priority: 9));
        var p5 = await Enqueue(store, NewTask(time, priority: 5));
        var p9b = await Enqueue(store, NewTask(time, priority: 9));
        var first = await LeaseNow(store, 2);
        Assert.Equal([p9a.Id, p9b.Id], first.Select(l => l.Task.Id));
        var rest = await LeaseNow(store, 10);
        Assert.Equal([p5.Id, p0.Id], rest.Select(l => l.Task.Id));
    }

    [Fact]
    public async Task TaskLease_prefers_queues_in_the_given_order()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var low = await EnqueueMany(store, time, 2, queue: "low", priority: 9);
        var high = await EnqueueMany(store, time, 2, queue: "high");
        await EnqueueMany(store, time, 2, queue: "other");
        var leased = await LeaseNow(store, 3, "high", "low");
        Assert.Equal([high[0].Id, high[1].Id, low[0].Id], leased.Select(l => l.Task.Id));
        Assert.Equal(low[1].Id, (await LeaseOne(store, "high", "low")).Task.Id);
        Assert.Empty(await LeaseNow(store, 10, "high", "low"));
    }

    [Fact]
    public async Task TaskLease_starts_an_attempt_with_a_fresh_token_and_deadline()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var tasks = await EnqueueMany(store, time, 2);
        time.Advance(TimeSpan.FromSeconds(3));
        var leased = await store.TaskLease(LeaseParams(2, worker: "w-7"));
        Assert.Equal(2, leased.Count);
        Assert.NotEqual(leased[0].LeaseToken, leased[1].LeaseToken);
        foreach (var l in leased)
        {
            Assert.False(string.IsNullOrWhiteSpace(l.LeaseToken));
            AssertTime(Start + TimeSpan.FromSeconds(33), l.LeaseDeadline);
            Assert.Equal(TaskState.Running, l.Task.State);
            Assert.Equal(1, l.Task.Attempt);
            Assert.Equal("w-7", l.Task.WorkerId);
            var attempt = Assert.Single(l.Task.Attempts);
            Assert.Equal((1, "w-7", AttemptOutcome.Running), (attempt.Number, attempt.WorkerId, attempt.Outcome));
            AssertTime(Start + TimeSpan.FromSeconds(3), attempt.StartedAt);
            var stored = await Get(store, l.Task.Id);
            Assert.Equal(TaskState.Running, stored.State);
            AssertTime(l.LeaseDeadline, stored.LeaseDeadline);
            AssertTime(Start + TimeSpan.FromSeconds(3), stored.StartedAt);
        }
        Assert.Empty(await LeaseNow(store, 10));
    }

    [Fact]
    public async Task TaskLease_does_not_hand_out_a_delayed_task_before_its_time()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var delayed = await Enqueue(store, NewTask(time, delay: TimeSpan.FromSeconds(10)));
        Assert.Equal(TaskState.Scheduled, (await Get(store, delayed.Id)).State);
        AssertTime(Start + TimeSpan.FromSeconds(10), (await Get(store, delayed.Id)).ScheduledFor);
        Assert.Empty(await LeaseNow(store));
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Empty(await LeaseNow(store));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(delayed.Id, (await LeaseOne(store)).Task.Id);
    }

    [Fact]
    public async Task TaskLease_blocks_until_an_enqueue_wakes_it()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), queues: "jobs")).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        await Enqueue(store, NewTask(time, queue: "other"));
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        // The fake clock never moves: only the enqueue's signal can wake the leaser.
        var task = await Enqueue(store, NewTask(time, queue: "jobs"));
        var leased = await waiting.WaitAsync(Guard);
        Assert.Equal(task.Id, Assert.Single(leased).Task.Id);
    }

    [Fact]
    public async Task TaskLease_returns_empty_after_the_wait()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(5))).AsTask();
        await Task.Delay(150);
        time.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Empty(await waiting.WaitAsync(Guard));
    }

    [Fact]
    public async Task TaskLease_wakes_when_a_scheduled_task_falls_due()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var delayed = await Enqueue(store, NewTask(time, delay: TimeSpan.FromSeconds(10)));
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(60))).AsTask();
        await Task.Delay(150);
        time.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(delayed.Id, Assert.Single(await waiting.WaitAsync(Guard)).Task.Id);
    }

    [Fact]
    public async Task TaskLease_blocked_leaser_learns_of_a_scheduled_task_enqueued_while_it_waits()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(60))).AsTask();
        await Task.Delay(150);
        var delayed = await Enqueue(store, NewTask(time, delay: TimeSpan.FromSeconds(3)));
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(delayed.Id, Assert.Single(await waiting.WaitAsync(Guard)).Task.Id);
    }

    [Fact]
    public async Task TaskLease_many_concurrent_leasers_never_get_the_same_task()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var tasks = await EnqueueMany(store, time, 500);
        var seen = new ConcurrentBag<string>();
        var leasers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            while (true)
            {
                var got = await store.TaskLease(LeaseParams(max: 1 + w % 7, worker: $"w{w}"));
                if (got.Count == 0) return;
                foreach (var l in got) seen.Add(l.Task.Id);
            }
        })).ToArray();
        await Task.WhenAll(leasers).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(500, seen.Count);
        Assert.Equal(500, seen.Distinct().Count());
        Assert.Equal(tasks.Select(t => t.Id).Order(), seen.Order());
    }

    [Fact]
    public async Task TaskLease_skips_paused_queues_until_resumed()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var paused = await Enqueue(store, NewTask(time, queue: "paused"));
        var open = await Enqueue(store, NewTask(time, queue: "open"));
        await store.QueuePause("paused");
        await store.QueuePause("paused");
        var leased = await LeaseNow(store, 10, "paused", "open");
        Assert.Equal(open.Id, Assert.Single(leased).Task.Id);
        var info = Assert.Single(await store.QueueList(), q => q.Name == "paused");
        Assert.True(info.Paused);
        Assert.Equal(1, info.Pending);
        // A paused queue still accepts tasks.
        await Enqueue(store, NewTask(time, queue: "paused"));
        Assert.Empty(await LeaseNow(store, 10, "paused"));
        await store.QueueResume("paused");
        Assert.False(Assert.Single(await store.QueueList(), q => q.Name == "paused").Paused);
        var after = await LeaseNow(store, 10, "paused");
        Assert.Equal(2, after.Count);
        Assert.Equal(paused.Id, after[0].Task.Id);
    }

    [Fact]
    public async Task TaskLease_blocked_leaser_is_woken_by_release_retry_and_redrive()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = await Enqueue(store, NewTask(time, maxAttempts: 2, backoff: BackoffPolicy.None));
        var held = await LeaseOne(store);

        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), worker: "waiter")).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        await store.TaskReleaseMany([new(held.Task.Id, held.LeaseToken)]);
        var afterRelease = Assert.Single(await waiting.WaitAsync(Guard));

        waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), worker: "waiter")).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        await store.TaskFailMany([Failure(afterRelease)]);
        var afterRetry = Assert.Single(await waiting.WaitAsync(Guard));
        Assert.Equal(2, afterRetry.Task.Attempt);

        Assert.Equal(TaskState.Failed, Assert.Single(await store.TaskFailMany([Failure(afterRetry)])).State);
        waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), worker: "waiter")).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, await store.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: task.Id)));
        Assert.Equal(task.Id, Assert.Single(await waiting.WaitAsync(Guard)).Task.Id);
    }

    [Fact]
    public async Task TaskLease_blocked_leaser_is_woken_by_resume()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueuePause("default");
        var task = await Enqueue(store, NewTask(time));
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30))).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        await store.QueueResume("default");
        Assert.Equal(task.Id, Assert.Single(await waiting.WaitAsync(Guard)).Task.Id);
    }

    [Fact]
    public async Task TaskLease_wait_ends_when_the_caller_cancels()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        using var cts = new CancellationTokenSource();
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30)), cts.Token).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Guard));
        // Nothing was leased by the cancelled call.
        await Enqueue(store, NewTask(time));
        Assert.Single(await LeaseNow(store));
    }
}
