using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// limits (issue 14, the unhit limit's cost): a store may read a key's value however it likes (SQLite
// extracts it in the pick's SQL when every keyed limit reads one metadata field); the value counted is
// the metadata value itself, whatever the field's name and the value's characters hold.
public abstract partial class TaskStoreConformanceTests
{
    private static TaskRecord WithMetadata(FakeTimeProvider time, Dictionary<string, string>? metadata) => TaskValidator.Build(new TaskSubmission
    {
        Type = "test.noop", Queue = "lim", Args = JsonDocument.Parse("{}").RootElement.Clone(), Metadata = metadata,
    }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    [Fact]
    public async Task A_limit_on_a_dotted_metadata_field_counts_each_value_as_written()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("per-org", "metadata.org.id-x", Concurrency: 1));
        var quoted = "a \"b\" \\ é";
        var q1 = WithMetadata(time, new() { ["org.id-x"] = quoted, ["org"] = "z" });
        var q2 = WithMetadata(time, new() { ["org.id-x"] = quoted });
        var other = WithMetadata(time, new() { ["org.id-x"] = "a" });
        var none = WithMetadata(time, new() { ["org"] = quoted }); // not the field: counted by no limit
        var bare = WithMetadata(time, null);
        Assert.All(await store.TaskEnqueueMany([q1, q2, other, none, bare]), r => Assert.True(r.Created));

        var leased = await LeaseNow(store, 10, "lim");
        Assert.Equal(new[] { q1.Id, other.Id, none.Id, bare.Id }.Order(), leased.Select(l => l.Task.Id).Order());
        var usage = Assert.Single(await store.QueueLimitList("lim")).Usage;
        var uq = Assert.Single(usage, u => u.Key == quoted);
        Assert.Equal((1L, 1L), (uq.Running, uq.Waiting));
        Assert.Equal(1L, Assert.Single(usage, u => u.Key == "a").Running);

        await store.TaskCompleteMany([new(q1.Id, leased.Single(l => l.Task.Id == q1.Id).LeaseToken, null)]);
        Assert.Equal(q2.Id, Assert.Single(await LeaseNow(store, 10, "lim")).Task.Id);
    }

    [Fact]
    public async Task Two_limits_on_two_metadata_fields_both_hold()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 2));
        await store.QueueLimitSet("lim", new QueueLimit("per-region", "metadata.region", Concurrency: 1));
        var tasks = new[] { ("a", "eu"), ("a", "eu"), ("a", "us"), ("a", "us"), ("b", "us") }
            .Select(t => WithMetadata(time, new() { ["tenant"] = t.Item1, ["region"] = t.Item2 })).ToList();
        Assert.All(await store.TaskEnqueueMany(tasks), r => Assert.True(r.Created));

        // One per region, two per tenant: the first of a/eu and the first of a/us.
        var leased = await LeaseNow(store, 10, "lim");
        Assert.Equal(new[] { tasks[0].Id, tasks[2].Id }.Order(), leased.Select(l => l.Task.Id).Order());
        Assert.Empty(await LeaseNow(store, 10, "lim"));
    }
}
