using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// parked: a leaser waiting on one queue when work is submitted (on Redis the enqueue leases the task to
// it directly: the one-step parked lease). What it is handed must be what a lease would have taken.
public abstract partial class TaskDeliveryConformanceTests
{
    [Fact]
    public async Task TaskLease_waiting_leaser_takes_the_best_task_of_a_batch_submitted_while_it_waits()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30))).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        var batch = await store.TaskEnqueueMany([NewTask(time, priority: 0), NewTask(time, priority: 9), NewTask(time, priority: 5), NewTask(time, priority: 9)]);
        var ids = batch.Select(r => r.Task.Id).ToList();
        Assert.Equal(ids[1], Assert.Single(await waiting.WaitAsync(Guard)).Task.Id);
        Assert.Equal([ids[3], ids[2], ids[0]], (await LeaseNow(store, 10)).Select(l => l.Task.Id));
    }

    [Fact]
    public async Task TaskLease_task_taken_by_a_waiting_leaser_is_an_ordinary_fenced_lease()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), worker: "w-9")).AsTask();
        await Task.Delay(150);
        time.Advance(TimeSpan.FromSeconds(1));
        var task = await Enqueue(store, NewTask(time));
        var got = Assert.Single(await waiting.WaitAsync(Guard));
        Assert.Equal((task.Id, TaskState.Running, 1, "w-9"), (got.Task.Id, got.Task.State, got.Task.Attempt, got.Task.WorkerId));
        AssertTime(Start + TimeSpan.FromSeconds(1) + LeaseFor, got.LeaseDeadline);
        Assert.Equal(AttemptOutcome.Running, Assert.Single(got.Task.Attempts).Outcome);
        var stored = await Get(store, task.Id);
        Assert.Equal((TaskState.Running, 1, "w-9"), (stored.State, stored.Attempt, stored.WorkerId));
        AssertTime(got.LeaseDeadline, stored.LeaseDeadline);
        Assert.Equal(AckOutcome.StaleLease, Assert.Single(await store.TaskCompleteMany([new(task.Id, got.LeaseToken + "0", null)])).Outcome);
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(task.Id, got.LeaseToken, null)])).Outcome);
        Assert.Equal(TaskState.Succeeded, (await Get(store, task.Id)).State);
    }

    [Fact]
    public async Task TaskLease_two_waiting_leasers_get_one_task_each_and_the_rest_stays_pending()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var a = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), worker: "a")).AsTask();
        var b = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30), worker: "b")).AsTask();
        await Task.Delay(150);
        var tasks = await EnqueueMany(store, time, 3);
        var got = (await a.WaitAsync(Guard)).Concat(await b.WaitAsync(Guard)).Select(l => l.Task.Id).ToList();
        Assert.Equal(2, got.Count);
        Assert.Equal(new[] { tasks[0].Id, tasks[1].Id }.Order(), got.Order());
        var left = Assert.Single(await LeaseNow(store, 10));
        Assert.Equal((tasks[2].Id, 1), (left.Task.Id, left.Task.Attempt));
    }

    [Fact]
    public async Task TaskLease_a_leaser_whose_wait_ended_takes_nothing_submitted_after()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(5), worker: "gone")).AsTask();
        await Task.Delay(150);
        time.Advance(TimeSpan.FromSeconds(3));
        await Task.Delay(150);
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Empty(await waiting.WaitAsync(Guard));
        var task = await Enqueue(store, NewTask(time));
        Assert.Equal(TaskState.Pending, (await Get(store, task.Id)).State);
        var later = await LeaseOne(store);
        Assert.Equal((task.Id, 1, "worker-1"), (later.Task.Id, later.Task.Attempt, later.Task.WorkerId));
    }

    [Fact]
    public async Task TaskLease_waiting_leaser_of_a_queue_paused_meanwhile_takes_nothing_until_resumed()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30))).AsTask();
        await Task.Delay(150);
        await store.QueuePause("default");
        var task = await Enqueue(store, NewTask(time));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(TaskState.Pending, (await Get(store, task.Id)).State);
        await store.QueueResume("default");
        Assert.Equal(task.Id, Assert.Single(await waiting.WaitAsync(Guard)).Task.Id);
    }
}
