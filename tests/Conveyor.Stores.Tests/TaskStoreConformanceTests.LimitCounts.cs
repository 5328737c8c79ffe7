using Conveyor.Limits;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// limits (issue 14, the unhit limit's cost, branch redisunhit2): a store may keep a limit's running
// counts however it likes (Redis reads and writes all the keys one lease or one acknowledgement touches
// together); every count stays exact when one call takes or gives back slots of many keys at once.
public abstract partial class TaskStoreConformanceTests
{
    [Fact]
    public async Task Running_counts_stay_exact_when_one_lease_and_one_acknowledgement_touch_many_keys()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 3));
        await store.QueueLimitSet("lim", new QueueLimit("all", Concurrency: 100));
        await EnqueueTenants(store, time, ("a", 4), ("b", 4), ("c", 1), ("d", 2));

        var leased = await LeaseNow(store, 100, "lim");
        Assert.Equal(new Dictionary<string, int> { ["a"] = 3, ["b"] = 3, ["c"] = 1, ["d"] = 2 }, ByTenant(leased));
        Assert.Equal(new Dictionary<string, long> { ["a"] = 3, ["b"] = 3, ["c"] = 1, ["d"] = 2 }, await Running(store, "per-tenant"));
        Assert.Equal(9L, Assert.Single((await Running(store, "all")).Values));

        // One acknowledgement for slots of three keys: two of a, all three of b, the one of c.
        var ended = leased.Where(l => l.Task.Metadata["tenant"] is "b" or "c").Concat(leased.Where(l => l.Task.Metadata["tenant"] == "a").Take(2)).ToList();
        var outcomes = await store.TaskCompleteMany([.. ended.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
        Assert.All(outcomes, o => Assert.Equal(AckOutcome.Ok, o.Outcome));
        Assert.Equal(new Dictionary<string, long> { ["a"] = 1, ["d"] = 2 }, await Running(store, "per-tenant"));
        Assert.Equal(3L, Assert.Single((await Running(store, "all")).Values));

        // The freed slots go to the waiting a and b; then every key is at or under its bound again.
        var more = await LeaseNow(store, 100, "lim");
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 }, ByTenant(more));
        Assert.Equal(new Dictionary<string, long> { ["a"] = 2, ["b"] = 1, ["d"] = 2 }, await Running(store, "per-tenant"));

        // Everything still running ends in one call: no count is left behind.
        var running = leased.Except(ended).Concat(more).ToList();
        outcomes = await store.TaskCompleteMany([.. running.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
        Assert.All(outcomes, o => Assert.Equal(AckOutcome.Ok, o.Outcome));
        Assert.Empty(await Running(store, "per-tenant"));
        Assert.Empty(await Running(store, "all"));

        // And the bound still holds from zero.
        await EnqueueTenants(store, time, ("a", 5));
        Assert.Equal(3, (await LeaseNow(store, 100, "lim")).Count);
        Assert.Empty(await LeaseNow(store, 100, "lim"));
    }

    /// <summary>The keys of one limit with tasks running, and how many.</summary>
    private static async Task<Dictionary<string, long>> Running(ITaskStore store, string limit)
    {
        var info = Assert.Single(await store.QueueLimitList("lim"), i => i.Limit.Name == limit);
        return info.Usage.Where(u => u.Running > 0).ToDictionary(u => u.Key, u => u.Running);
    }
}
