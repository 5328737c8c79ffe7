using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// fastlane: the store contract suites on a real standalone redis-server with
/// <see cref="RedisStoreOptions.FastLane"/> on: the submit, lease and acknowledgement scripts go over
/// the store's own connection and must keep every rule.
/// </summary>
public sealed class FastLaneConformanceTests(RedisServerFixture redis) : TaskStoreConformanceTests, IClassFixture<RedisServerFixture>
{
    private readonly FastLaneStores stores = new(redis.ConnectionString);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

public sealed class FastLaneDeliveryConformanceTests(RedisServerFixture redis) : TaskDeliveryConformanceTests, IClassFixture<RedisServerFixture>
{
    private readonly FastLaneStores stores = new(redis.ConnectionString);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

/// <summary>Stores with the fast lane on, a fresh key prefix per test; each one checked to have its lane up.</summary>
internal sealed class FastLaneStores(string connectionString)
{
    private string prefix = "";

    public async ValueTask<ITaskStore> Create(FakeTimeProvider time)
    {
        prefix = "f" + Guid.NewGuid().ToString("N")[..12];
        return await Reopen(time);
    }

    public async ValueTask<ITaskStore> Reopen(FakeTimeProvider time)
    {
        var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions
        {
            ConnectionString = connectionString, KeyPrefix = prefix, TimeProvider = time, FastLane = true,
        });
        Assert.True(store.LaneConnected, "the fast lane did not connect");
        return store;
    }
}
