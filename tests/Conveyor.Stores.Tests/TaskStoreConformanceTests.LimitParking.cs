using Conveyor.Limits;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// limits (issue 14, the hit limit's cost): a lease parks the tasks of several keys at once (on Redis
// written once per key per call), each freed slot brings back the next of its own key in line, and
// once nothing is parked any more (an acknowledgement then asks no key's parked set) a new task over
// the limit still waits and still comes back when its slot frees.
public abstract partial class TaskStoreConformanceTests
{
    [Fact]
    public async Task Tasks_parked_under_several_keys_in_one_lease_come_back_in_line_one_per_freed_slot()
    {
        if (!SupportsLimits) { await LimitsAreRefused(); return; }
        var time = NewClock();
        await using var store = await CreateStore(time);
        await store.QueueLimitSet("lim", new QueueLimit("one", "metadata.tenant", Concurrency: 1));
        var tasks = await EnqueueTenants(store, time, ("a", 1), ("b", 1), ("c", 1), ("a", 1), ("b", 1), ("c", 1), ("a", 1), ("b", 1), ("c", 1), ("a", 1));
        var order = tasks.GroupBy(t => t.Metadata["tenant"]).ToDictionary(g => g.Key, g => g.Select(t => t.Id).ToList());

        var running = (await LeaseNow(store, 100, "lim")).ToList();
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 1 }, ByTenant(running));
        var counts = Assert.Single(await store.QueueList(), q => q.Name == "lim");
        Assert.Equal((7, 3), (counts.Pending, counts.Running)); // the parked ones still count as pending
        var usage = Assert.Single(await store.QueueLimitList("lim")).Usage;
        Assert.Equal((1L, 3L), (Assert.Single(usage, u => u.Key == "a").Running, Assert.Single(usage, u => u.Key == "a").Waiting));
        Assert.Equal((1L, 2L), (Assert.Single(usage, u => u.Key == "c").Running, Assert.Single(usage, u => u.Key == "c").Waiting));

        // Each round: the running task of every key succeeds, and the next of that key (and only it) comes back.
        var started = running.Select(l => l.Task.Id).ToList();
        for (var round = 0; round < 4 && running.Count > 0; round++)
        {
            await store.TaskCompleteMany([.. running.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
            running = [.. await LeaseNow(store, 100, "lim")];
            Assert.All(ByTenant(running).Values, n => Assert.Equal(1, n));
            started.AddRange(running.Select(l => l.Task.Id));
        }
        Assert.Empty(running);
        foreach (var (tenant, ids) in order)
            Assert.Equal(ids, started.Where(ids.Contains).ToList()); // in line within each key, each once
        Assert.Equal(tasks.Count, started.Count);
        Assert.DoesNotContain(Assert.Single(await store.QueueLimitList("lim")).Usage, u => u.Running != 0 || u.Waiting != 0);
        Assert.Equal(0, Assert.Single(await store.QueueList(), q => q.Name == "lim").Pending);

        // Nothing parked now: the next task over the limit still waits, and comes back when the slot frees.
        var more = await EnqueueTenants(store, time, ("a", 2));
        var first = Assert.Single(await LeaseNow(store, 100, "lim"));
        Assert.Equal(more[0].Id, first.Task.Id);
        Assert.Empty(await LeaseNow(store, 100, "lim"));
        await Complete(store, first);
        var second = Assert.Single(await LeaseNow(store, 100, "lim"));
        Assert.Equal(more[1].Id, second.Task.Id);
        await Complete(store, second);
        Assert.DoesNotContain(Assert.Single(await store.QueueLimitList("lim")).Usage, u => u.Running != 0 || u.Waiting != 0);
    }
}
