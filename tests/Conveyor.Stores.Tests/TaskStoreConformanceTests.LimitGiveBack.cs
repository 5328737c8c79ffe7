using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// limits (issue 14, the unhit limit's cost on SQLite): a lease that asks for more than the queue holds
// counts each task it leases once, and a batch of completions gives each slot back once per task that
// held it, putting back in line as many parked tasks as it freed, whatever the batch mixes.
public abstract partial class TaskStoreConformanceTests
{
    [Fact]
    public async Task A_lease_asking_more_than_the_queue_holds_counts_each_leased_task_once()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: QueueLimit.MaxCount));
        await store.QueueLimitSet("lim", new QueueLimit("per-tenant-2", "metadata.tenant", Concurrency: 2));
        await EnqueueTenants(store, time, ("a", 3), ("b", 1));

        var leased = await LeaseNow(store, 10, "lim");
        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 }, ByTenant(leased));
        Assert.Equal(3, leased.Select(l => l.Task.Id).Distinct().Count());
        var limits = await store.QueueLimitList("lim");
        foreach (var name in new[] { "per-tenant", "per-tenant-2" })
        {
            var usage = Assert.Single(limits, l => l.Limit.Name == name).Usage;
            Assert.Equal(2L, Assert.Single(usage, u => u.Key == "a").Running);
            Assert.Equal(1L, Assert.Single(usage, u => u.Key == "b").Running);
        }

        // Every leased task ends in one batch: the counts go back to zero, the waiting a is leased, alone.
        await store.TaskCompleteMany([.. leased.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
        var last = Assert.Single(await LeaseNow(store, 10, "lim"));
        Assert.Equal("a", last.Task.Metadata["tenant"]);
        Assert.Equal(TaskState.Running, (await Get(store, last.Task.Id)).State);
        await store.TaskCompleteMany([new(last.Task.Id, last.LeaseToken, null)]);
        Assert.All(await store.QueueLimitList("lim"), l => Assert.All(l.Usage, u => Assert.Equal((0L, 0L), (u.Running, u.Waiting))));
    }

    [Fact]
    public async Task A_batch_of_completions_frees_one_slot_per_task_and_unparks_as_many_as_it_freed()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 3));
        var tasks = await EnqueueTenants(store, time, ("a", 8), ("b", 2));
        var leased = await LeaseNow(store, 100, "lim");
        Assert.Equal(new Dictionary<string, int> { ["a"] = 3, ["b"] = 2 }, ByTenant(leased));

        // Two of a succeed and a stale token in the same batch; one of a fails; b's two succeed.
        var a = leased.Where(l => l.Task.Metadata["tenant"] == "a").ToList();
        var b = leased.Where(l => l.Task.Metadata["tenant"] == "b").ToList();
        var results = await store.TaskCompleteMany([
            new(a[0].Task.Id, a[0].LeaseToken, null), new(a[1].Task.Id, a[1].LeaseToken, null),
            new(a[0].Task.Id, "not-the-token", null), new(b[0].Task.Id, b[0].LeaseToken, null), new(b[1].Task.Id, b[1].LeaseToken, null)]);
        Assert.Equal(4, results.Count(r => r.Outcome == AckOutcome.Ok));
        await store.TaskFailMany([Failure(a[2], retry: false)]);

        var usage = Assert.Single(await store.QueueLimitList("lim")).Usage;
        // Three slots of a freed: three of its five parked tasks are back in line, two still wait.
        Assert.Equal((0L, 2L), (Assert.Single(usage, u => u.Key == "a").Running, Assert.Single(usage, u => u.Key == "a").Waiting));
        Assert.DoesNotContain(usage, u => u.Key == "b" && u.Running != 0);

        // The next three of a, in line, and no more.
        var next = await LeaseNow(store, 100, "lim");
        Assert.Equal(tasks.Skip(3).Take(3).Select(t => t.Id).Order(), next.Select(l => l.Task.Id).Order());
        Assert.Empty(await LeaseNow(store, 100, "lim"));
        usage = Assert.Single(await store.QueueLimitList("lim")).Usage;
        Assert.Equal((3L, 2L), (Assert.Single(usage, u => u.Key == "a").Running, Assert.Single(usage, u => u.Key == "a").Waiting));
    }
}
