using System.Collections.Concurrent;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// TaskList, TaskWait, the worker registry and events.
public abstract partial class TaskRecordsConformanceTests
{
    [Fact]
    public async Task TaskList_pages_newest_first_with_a_cursor()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Enqueue(store, NewTask(time))).Id);
            time.Advance(TimeSpan.FromMilliseconds(2));
        }
        ids.Reverse();
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await store.TaskList(new TaskListParams(Limit: 2, Cursor: cursor));
            Assert.True(page.Items.Count <= 2);
            seen.AddRange(page.Items.Select(t => t.Id));
            if (page.NextCursor is not null) Assert.Equal(page.Items[^1].Id, page.NextCursor);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);
        Assert.Equal(3, pages);
        Assert.Equal(ids, seen);
        Assert.Null((await store.TaskList(new TaskListParams(Limit: 5))).NextCursor);
    }

    [Fact]
    public async Task TaskList_filters_by_state_queue_and_type()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var a = await Enqueue(store, NewTask(time, type: "kind.a", queue: "q1"));
        var b = await Enqueue(store, NewTask(time, type: "kind.b", queue: "q1"));
        var c = await Enqueue(store, NewTask(time, type: "kind.a", queue: "q2"));
        var l = await LeaseOne(store, "q2");
        async Task<string[]> Ids(TaskListParams p) => (await store.TaskList(p)).Items.Select(t => t.Id).Order().ToArray();
        Assert.Equal(new[] { a.Id, c.Id }.Order(), await Ids(new(Type: "kind.a")));
        Assert.Equal(new[] { a.Id, b.Id }.Order(), await Ids(new(Queue: "q1")));
        Assert.Equal([c.Id], await Ids(new(State: TaskState.Running)));
        Assert.Equal([a.Id], await Ids(new(State: TaskState.Pending, Queue: "q1", Type: "kind.a")));
        Assert.Empty(await Ids(new(Queue: "nope")));
        Assert.Equal(l.Task.Id, c.Id);
    }

    [Fact]
    public async Task TaskWait_wakes_on_the_transition()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = await Enqueue(store, NewTask(time));
        var waiting = store.TaskWait(task.Id, TimeSpan.FromSeconds(60)).AsTask();
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        var l = await LeaseOne(store);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]);
        var done = await waiting.WaitAsync(Guard);
        Assert.Equal(TaskState.Succeeded, done!.State);
        // Already terminal: at once. Unknown: null.
        Assert.Equal(TaskState.Succeeded, (await store.TaskWait(task.Id, TimeSpan.FromSeconds(60)).AsTask().WaitAsync(Guard))!.State);
        Assert.Null(await store.TaskWait(TaskIds.New(time), TimeSpan.FromSeconds(60)).AsTask().WaitAsync(Guard));
    }

    [Fact]
    public async Task TaskWait_times_out_with_the_current_record()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = await Enqueue(store, NewTask(time));
        var waiting = store.TaskWait(task.Id, TimeSpan.FromSeconds(10)).AsTask();
        await Task.Delay(150);
        time.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(150);
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1.5));
        var current = await waiting.WaitAsync(Guard);
        Assert.Equal(TaskState.Pending, current!.State);
    }

    [Fact]
    public async Task EventsSubscribe_sees_each_transition_until_disposed()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var events = new ConcurrentQueue<TaskEvent>();
        var sub = store.EventsSubscribe(events.Enqueue);
        var task = await Enqueue(store, NewTask(time, type: "evt.kind", queue: "evq"));
        var l = await LeaseOne(store, "evq");
        await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)]);
        await WaitFor(() => events.Count(e => e.TaskId == task.Id) >= 3);
        var mine = events.Where(e => e.TaskId == task.Id).ToList();
        Assert.Equal([TaskState.Pending, TaskState.Running, TaskState.Succeeded], mine.Select(e => e.State));
        Assert.All(mine, e => Assert.Equal(("evq", "evt.kind"), (e.Queue, e.Type)));
        sub.Dispose();
        var count = events.Count;
        await Enqueue(store, NewTask(time, queue: "evq"));
        await Task.Delay(100);
        Assert.Equal(count, events.Count);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Guard;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("the condition never held");
            await Task.Delay(10);
        }
    }
}
