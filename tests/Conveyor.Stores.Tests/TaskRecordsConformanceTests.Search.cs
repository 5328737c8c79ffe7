using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// TaskList's search filters and paging (the dashboard's actions are in TaskStoreConformanceTests.TaskActions.cs).
public abstract partial class TaskRecordsConformanceTests
{
    private static TaskRecord Tagged(FakeTimeProvider time, string queue, string tag, string? key = null, string type = "test.noop") =>
        NewTask(time, queue: queue, key: key, type: type) is var t ? t with { Metadata = new Dictionary<string, string> { ["env"] = tag, ["n"] = "x=y" } } : t;

    private static async Task<LeasedTask> FailWith(ITaskStore store, string queue, string type, string message, bool dead = true)
    {
        var l = await LeaseOne(store, queue);
        var r = Assert.Single(await store.TaskFailMany([new(l.Task.Id, l.LeaseToken, new TaskError(type, message), Retry: !dead)]));
        Assert.Equal(AckOutcome.Ok, r.Outcome);
        return l;
    }

    private static async Task<List<string>> All(ITaskStore store, TaskListParams query)
    {
        var ids = new List<string>();
        for (var guard = 0; guard < 1000; guard++)
        {
            var page = await store.TaskList(query);
            ids.AddRange(page.Items.Select(t => t.Id));
            if (page.NextCursor is null) return ids;
            query = query with { Cursor = page.NextCursor };
        }
        throw new Xunit.Sdk.XunitException("TaskList never ended");
    }

    [Fact]
    public async Task TaskList_searches_by_idempotency_key_tag_and_error_combined_with_state_and_queue()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        // A millisecond apart: ids made in one millisecond are not ordered among themselves.
        var prod = await Enqueue(store, Tagged(time, "s", "prod", key: "order-7"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        var dev = await Enqueue(store, Tagged(time, "s", "dev"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        var other = await Enqueue(store, Tagged(time, "t", "prod", key: "order-7"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        var plain = await Enqueue(store, NewTask(time, queue: "s"));
        await FailWith(store, "s", "ValueError", "Bad ORDER number 7");   // prod: dead
        await FailWith(store, "s", "KeyError", "missing key", dead: false); // dev: scheduled, with an error
        await FailWith(store, "t", "ValueError", "another");                // other: dead

        Assert.Equal([prod.Id], await All(store, new TaskListParams(Queue: "s") { IdempotencyKey = "order-7" }));
        Assert.Equal(new[] { prod.Id, other.Id }.Order(), (await All(store, new TaskListParams() { IdempotencyKey = "order-7" })).Order());
        Assert.Empty(await All(store, new TaskListParams(State: TaskState.Pending) { IdempotencyKey = "order-7" }));
        Assert.Empty(await All(store, new TaskListParams() { IdempotencyKey = "order-8" }));

        Assert.Equal(new[] { other.Id, prod.Id }, await All(store, new TaskListParams() { TagKey = "env", TagValue = "prod" }));
        Assert.Equal([dev.Id], await All(store, new TaskListParams(Queue: "s") { TagKey = "env", TagValue = "dev" }));
        Assert.Equal(3, (await All(store, new TaskListParams() { TagKey = "n", TagValue = "x=y" })).Count);
        Assert.Empty(await All(store, new TaskListParams() { TagKey = "env", TagValue = "pro" }));

        // Error text: a substring of the type or the message, in lower case (the engine lowers what a user types).
        Assert.Equal([prod.Id], await All(store, new TaskListParams() { Error = "order number" }));
        Assert.Equal(new[] { other.Id, prod.Id }, await All(store, new TaskListParams() { Error = "valueerr" }));
        Assert.Equal([other.Id], await All(store, new TaskListParams(Queue: "t") { Error = "valueerr" }));
        Assert.Equal([dev.Id], await All(store, new TaskListParams(State: TaskState.Scheduled) { Error = "key" }));
        Assert.Equal(new[] { other.Id, prod.Id }, await All(store, new TaskListParams(State: TaskState.Failed) { ErrorType = "ValueError" }));
        Assert.Empty(await All(store, new TaskListParams() { ErrorType = "valueerror" }));
        Assert.DoesNotContain(plain.Id, await All(store, new TaskListParams() { Error = "e" }));
    }

    [Fact]
    public async Task TaskList_search_pages_newest_first_with_a_cursor()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var tagged = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            tagged.Add((await Enqueue(store, Tagged(time, i % 2 == 0 ? "a" : "b", "prod"))).Id);
            time.Advance(TimeSpan.FromMilliseconds(1));
            await Enqueue(store, Tagged(time, "a", "dev"));
        }
        var query = new TaskListParams(Limit: 3) { TagKey = "env", TagValue = "prod" };
        var pages = 0;
        var seen = new List<string>();
        while (true)
        {
            var page = await store.TaskList(query);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(t => t.Id));
            pages++;
            if (page.NextCursor is null) break;
            query = query with { Cursor = page.NextCursor };
        }
        Assert.True(pages >= 3);
        Assert.Equal(Enumerable.Reverse(tagged), seen);
    }

    [Fact]
    public async Task TaskList_by_state_pages_newest_first_across_queues_with_a_cursor()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var pending = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            pending.Add((await Enqueue(store, NewTask(time, queue: i % 2 == 0 ? "p1" : "p2"))).Id);
            time.Advance(TimeSpan.FromMilliseconds(1));
            await Enqueue(store, NewTask(time, queue: "p1", delay: TimeSpan.FromHours(1)));
        }
        var query = new TaskListParams(State: TaskState.Pending, Limit: 3);
        var seen = new List<string>();
        while (true)
        {
            var page = await store.TaskList(query);
            Assert.True(page.Items.Count <= 3);
            Assert.All(page.Items, t => Assert.Equal(TaskState.Pending, t.State));
            seen.AddRange(page.Items.Select(t => t.Id));
            if (page.NextCursor is null) break;
            query = query with { Cursor = page.NextCursor };
        }
        Assert.Equal(Enumerable.Reverse(pending), seen);
        Assert.Equal(Enumerable.Reverse(pending).Where(id => pending.IndexOf(id) % 2 == 1),
            await All(store, new TaskListParams(State: TaskState.Pending, Queue: "p2", Limit: 2)));
    }
}
