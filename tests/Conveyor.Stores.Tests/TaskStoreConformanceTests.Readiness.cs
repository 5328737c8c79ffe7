using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// StoreReadinessCheck: what /readyz and the maintenance loop ask.
public abstract partial class TaskStoreConformanceTests
{
    [Fact]
    public async Task StoreReadinessCheck_a_healthy_store_is_ready_before_and_after_work()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var before = await store.StoreReadinessCheck();
        Assert.Equal((StoreCondition.Ready, null), (before.Condition, before.Reason));
        await Enqueue(store, NewTask(time));
        Assert.Single(await LeaseNow(store, 10));
        var after = await store.StoreReadinessCheck();
        Assert.True(after.IsReady, $"{after.Reason}: {after.Detail}");
    }
}
