using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>The store contract suite on a real standalone redis-server; a fresh key prefix per test.</summary>
public sealed class RedisConformanceTests(RedisServerFixture redis) : TaskStoreConformanceTests, IClassFixture<RedisServerFixture>
{
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);

    private string prefix = "";

    protected override async ValueTask<ITaskStore> CreateStore(FakeTimeProvider time)
    {
        prefix = "t" + Guid.NewGuid().ToString("N")[..12];
        return await Open(time);
    }

    /// <summary>A new store instance on the keys of the last one created: a broker restart.</summary>
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await Open(time);

    private async Task<ITaskStore> Open(FakeTimeProvider time) =>
        await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = prefix, TimeProvider = time });
}

/// <summary>The store contract suite on a real three-node Redis Cluster on loopback, waking leasers over sharded pub/sub.</summary>
public sealed class RedisClusterConformanceTests(RedisClusterFixture cluster) : TaskStoreConformanceTests, IClassFixture<RedisClusterFixture>
{
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);

    protected override async ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) =>
        await RedisTaskStore.ConnectAsync(new RedisStoreOptions
        {
            ConnectionString = cluster.ConnectionString,
            KeyPrefix = "c" + Guid.NewGuid().ToString("N")[..12],
            TimeProvider = time,
            ShardedPubSub = true,
        });
}
