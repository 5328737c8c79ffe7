using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// lane2: the fast lane is on by default, so the standalone suites (RedisConformanceTests.cs) run the
/// submit, lease and acknowledgement scripts over the store's own connection (RedisStores checks it is
/// up). These run the store contract suites with <see cref="RedisStoreOptions.FastLane"/> off, as a
/// Cluster, TLS or <c>?fastlane=off</c> has it: every call through StackExchange.Redis.
/// </summary>
public sealed class NoFastLaneConformanceTests(RedisServerFixture redis) : TaskStoreConformanceTests, IClassFixture<RedisServerFixture>
{
    private readonly NoFastLaneStores stores = new(redis.ConnectionString);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

public sealed class NoFastLaneDeliveryConformanceTests(RedisServerFixture redis) : TaskDeliveryConformanceTests, IClassFixture<RedisServerFixture>
{
    private readonly NoFastLaneStores stores = new(redis.ConnectionString);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

/// <summary>Stores with the fast lane off, a fresh key prefix per test; each one checked to have no lane.</summary>
internal sealed class NoFastLaneStores(string connectionString)
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
            ConnectionString = connectionString, KeyPrefix = prefix, TimeProvider = time, FastLane = false,
        });
        Assert.False(store.LaneConnected, "the fast lane connected though it is off");
        return store;
    }
}
