using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// Issue 15: concurrent single submissions share store calls (EnqueueCoalescer); what each caller is
// told, and what is stored, must be exactly what one call per submission would have given.
public abstract partial class TaskStoreConformanceTests
{
    private static readonly JsonElement NoArgs = JsonDocument.Parse("{}").RootElement.Clone();

    [Fact]
    public async Task Concurrent_single_submits_share_store_calls_with_exact_outcomes_per_submission()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        const int callers = 64;
        // SQLite groups concurrent enqueues itself (its writer's group commit; the engine's coalescer is
        // bypassed): count its commits instead of the coalescer's calls.
        var sqlite = store as Conveyor.Sqlite.SqliteTaskStore;
        var commitsBefore = sqlite?.WriterBatches ?? 0;
        // Two queues, some delayed; keys: "dup" eight times in queue a (one task), "dup" once in queue b
        // (its own task), every other submission without a key.
        var submissions = Enumerable.Range(0, callers).Select(i => new TaskSubmission
        {
            Type = $"t.{i}",
            Queue = i % 2 == 0 ? "a" : "b",
            Args = NoArgs,
            Delay = i % 5 == 0 ? TimeSpan.FromMinutes(10) : null,
            IdempotencyKey = i % 8 == 0 ? "dup" : i == 1 ? "dup" : null,
        }).ToList();
        // Started one after another without awaiting: all but the first arrive while a call is in flight.
        var calls = submissions.Select(s => engine.Submit(s).AsTask()).ToList();
        var results = await Task.WhenAll(calls);

        var storeCalls = sqlite is null ? engine.CoalescedEnqueueCalls : sqlite.WriterBatches - commitsBefore;
        Assert.True(storeCalls < callers, $"{storeCalls} store calls (SQLite: commits) for {callers} concurrent submissions");
        if (sqlite is not null) Assert.Equal(0, engine.CoalescedEnqueueCalls); // straight to the writer
        var dupA = Enumerable.Range(0, callers).Where(i => i % 8 == 0).ToList();
        Assert.Single(dupA, i => results[i].Created);
        Assert.Single(dupA.Select(i => results[i].Task.Id).Distinct());
        var holder = results[dupA.Single(i => results[i].Created)].Task;
        Assert.Equal("a", holder.Queue);
        Assert.True(results[1].Created); // the same key in another queue is another task
        Assert.NotEqual(holder.Id, results[1].Task.Id);

        var created = Enumerable.Range(0, callers).Where(i => results[i].Created).ToList();
        Assert.Equal(callers - dupA.Count + 1, created.Count);
        foreach (var i in created)
        {
            // Each caller got its own task back, and it is stored as submitted.
            Assert.Equal(submissions[i].Type, results[i].Task.Type);
            var stored = await store.TaskGet(results[i].Task.Id);
            Assert.NotNull(stored);
            Assert.Equal(submissions[i].Type, stored.Type);
            Assert.Equal(submissions[i].Queue, stored.Queue);
            Assert.Equal(submissions[i].Delay is null ? TaskState.Pending : TaskState.Scheduled, stored.State);
        }
        Assert.Equal(created.Count, created.Select(i => results[i].Task.Id).Distinct().Count());
        var listed = (await store.TaskList(new TaskListParams(Limit: 500))).Items;
        Assert.Equal(created.Select(i => results[i].Task.Id).Order(), listed.Select(t => t.Id).Order());

        // Every pending one is leasable, once.
        var pending = created.Count(i => submissions[i].Delay is null);
        var leased = await store.TaskLease(new TaskLeaseParams("w", ["a", "b"], 100, LeaseFor, TimeSpan.Zero));
        Assert.Equal(pending, leased.Count);
        Assert.Equal(pending, leased.Select(l => l.Task.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_repeated_key_submitted_concurrently_many_times_makes_one_task_and_every_caller_sees_it()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        for (var round = 0; round < 5; round++)
        {
            var key = $"order-{round}";
            var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ =>
                engine.Submit(new TaskSubmission { Type = "order.place", Args = NoArgs, IdempotencyKey = key }).AsTask()));
            var first = Assert.Single(results, r => r.Created);
            Assert.All(results, r => Assert.Equal(first.Task.Id, r.Task.Id));
        }
        Assert.Equal(5, (await store.TaskList(new TaskListParams())).Items.Count);
    }
}
