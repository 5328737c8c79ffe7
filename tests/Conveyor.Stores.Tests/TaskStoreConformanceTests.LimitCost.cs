using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// limits (issue 14, the unhit limit's cost): the key value is read from what the lease reads of each
// task anyway, the metadata found past every other spec field and before the idempotency key,
// whatever that key holds; a succeeded task's slot is given back once.
public abstract partial class TaskStoreConformanceTests
{
    [Fact]
    public async Task A_metadata_key_is_found_whatever_the_idempotency_key_holds_and_each_slot_is_given_back_once()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 1));
        TaskRecord Task(string? tenant, string? idem) => TaskValidator.Build(new TaskSubmission
        {
            Type = "test.noop", Queue = "lim", IdempotencyKey = idem, Args = JsonDocument.Parse("{}").RootElement.Clone(),
            Metadata = tenant is null ? null : new Dictionary<string, string> { ["tenant"] = tenant, ["note"] = "a|{b}\nc" },
        }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);
        // No metadata, an idempotency key that looks like metadata: counted by no limit.
        var free = Task(null, "k|{\"tenant\":\"a\"}\n|{\"tenant\":\"a\"}");
        var a1 = Task("a", "x|{\"tenant\":\"b\"}");
        var a2 = Task("a", null);
        var b1 = Task("b", "\n|{\"tenant\":\"a\"}");
        Assert.All(await store.TaskEnqueueMany([free, a1, a2, b1]), r => Assert.True(r.Created));

        var leased = await LeaseNow(store, 10, "lim");
        Assert.Equal(new[] { free.Id, a1.Id, b1.Id }.Order(), leased.Select(l => l.Task.Id).Order());
        var usage = Assert.Single(await store.QueueLimitList("lim")).Usage;
        Assert.Equal((1L, 1L), (Assert.Single(usage, u => u.Key == "a").Running, Assert.Single(usage, u => u.Key == "a").Waiting));
        Assert.Equal(1L, Assert.Single(usage, u => u.Key == "b").Running);
        Assert.DoesNotContain(usage, u => u.Key != "a" && u.Key != "b");

        // a1 succeeds: its slot frees once, a2 (waiting on it) is leased; b1 and the free task succeed too.
        await store.TaskCompleteMany([.. leased.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
        var next = Assert.Single(await LeaseNow(store, 10, "lim"));
        Assert.Equal(a2.Id, next.Task.Id);
        usage = Assert.Single(await store.QueueLimitList("lim")).Usage;
        Assert.Equal(1L, Assert.Single(usage, u => u.Key == "a").Running);
        Assert.DoesNotContain(usage, u => u.Key == "b" && u.Running != 0);
        await store.TaskCompleteMany([new(next.Task.Id, next.LeaseToken, null)]);
        Assert.DoesNotContain(Assert.Single(await store.QueueLimitList("lim")).Usage, u => u.Running != 0 || u.Waiting != 0);
    }
}
