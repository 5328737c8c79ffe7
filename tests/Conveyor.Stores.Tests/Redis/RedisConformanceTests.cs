using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>The four contract suites share one redis-server (they run one after another in this collection).</summary>
[CollectionDefinition(Name)]
public sealed class RedisConformanceCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis-conformance";
}

/// <summary>The four contract suites share one Redis Cluster, in a collection of their own (it runs beside the standalone one).</summary>
[CollectionDefinition(Name)]
public sealed class RedisClusterConformanceCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster-conformance";
}

/// <summary>Stores on a real standalone redis-server (or Cluster), the default options (the fast lane on: lane2); a fresh key prefix per test, reopened on the same keys for a restart.</summary>
public sealed class RedisStores(string connectionString, bool cluster = false, bool parkList = true)
{
    private string prefix = "";

    public async ValueTask<ITaskStore> Create(FakeTimeProvider time)
    {
        prefix = (cluster ? "c" : "t") + Guid.NewGuid().ToString("N")[..12];
        return await Reopen(time);
    }

    /// <summary>A new store instance on the keys of the last one created: a broker restart.</summary>
    public async ValueTask<ITaskStore> Reopen(FakeTimeProvider time)
    {
        var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions
        {
            ConnectionString = connectionString, KeyPrefix = prefix, TimeProvider = time, ShardedPubSub = cluster, ParkList = parkList,
        });
        // lane2: on by default; on a standalone server the hot scripts go over it (a Cluster has none).
        Assert.Equal(!cluster, store.LaneConnected);
        return store;
    }
}

// The contract suites on a real standalone redis-server: the three parts are one store (one script per transition).
[Collection(RedisConformanceCollection.Name)]
public sealed class RedisDeliveryConformanceTests(RedisServerFixture redis) : TaskDeliveryConformanceTests
{
    private readonly RedisStores stores = new(redis.ConnectionString);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

// parklist: the delivery suite again with parked leasers waiting on the process's pub/sub channel (as
// with TLS or a proxy) instead of a BLPOP of their own list.
[Collection(RedisConformanceCollection.Name)]
public sealed class RedisPubSubParkDeliveryConformanceTests(RedisServerFixture redis) : TaskDeliveryConformanceTests
{
    private readonly RedisStores stores = new(redis.ConnectionString, parkList: false);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

[Collection(RedisConformanceCollection.Name)]
public sealed class RedisRecordsConformanceTests(RedisServerFixture redis) : TaskRecordsConformanceTests
{
    private readonly RedisStores stores = new(redis.ConnectionString);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

[Collection(RedisConformanceCollection.Name)]
public sealed class RedisWorkersConformanceTests(RedisServerFixture redis) : WorkerRegistryConformanceTests
{
    private readonly RedisStores stores = new(redis.ConnectionString);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

[Collection(RedisConformanceCollection.Name)]
public sealed class RedisConformanceTests(RedisServerFixture redis) : TaskStoreConformanceTests
{
    private readonly RedisStores stores = new(redis.ConnectionString);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

// The contract suites on a real three-node Redis Cluster on loopback, waking leasers over sharded pub/sub.
[Collection(RedisClusterConformanceCollection.Name)]
public sealed class RedisClusterDeliveryConformanceTests(RedisClusterFixture cluster) : TaskDeliveryConformanceTests
{
    private readonly RedisStores stores = new(cluster.ConnectionString, cluster: true);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
}

[Collection(RedisClusterConformanceCollection.Name)]
public sealed class RedisClusterRecordsConformanceTests(RedisClusterFixture cluster) : TaskRecordsConformanceTests
{
    private readonly RedisStores stores = new(cluster.ConnectionString, cluster: true);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
}

[Collection(RedisClusterConformanceCollection.Name)]
public sealed class RedisClusterWorkersConformanceTests(RedisClusterFixture cluster) : WorkerRegistryConformanceTests
{
    private readonly RedisStores stores = new(cluster.ConnectionString, cluster: true);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
}

[Collection(RedisClusterConformanceCollection.Name)]
public sealed class RedisClusterConformanceTests(RedisClusterFixture cluster) : TaskStoreConformanceTests
{
    private readonly RedisStores stores = new(cluster.ConnectionString, cluster: true);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
}
