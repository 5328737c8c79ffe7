using Conveyor.Redis;
using Conveyor.Store;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// The eviction-policy check on a real three-node Cluster: every primary is read, so one node set to
/// evict is enough to refuse a connect and to make the store not ready, and the answer names that node.
/// </summary>
public sealed class RedisEvictionPolicyTests(RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>
{
    [Fact]
    public async Task One_evicting_primary_of_a_cluster_refuses_the_connect_and_makes_the_store_not_ready()
    {
        var port = cluster.Ports[2];
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = cluster.ConnectionString, KeyPrefix = "evict" });
        Assert.True((await store.StoreReadinessCheck()).IsReady);
        try
        {
            Assert.Contains("+OK", cluster.Command(2, "CONFIG SET maxmemory-policy allkeys-random"), StringComparison.Ordinal);
            var refused = await Assert.ThrowsAsync<StoreConfigurationException>(() =>
                RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = cluster.ConnectionString, KeyPrefix = "evict" }));
            Assert.Contains($":{port} has maxmemory-policy allkeys-random", refused.Message, StringComparison.Ordinal);
            Assert.Contains("noeviction", refused.Message, StringComparison.Ordinal);

            // The running store sees it at its next read of the policy (cached for a few seconds).
            var deadline = DateTime.UtcNow + StoreReadiness.PolicyRecheck + TimeSpan.FromSeconds(10);
            StoreReadiness readiness;
            do
            {
                readiness = await store.StoreReadinessCheck();
                if (!readiness.IsReady) break;
                await Task.Delay(200);
            } while (DateTime.UtcNow < deadline);
            Assert.Equal(StoreCondition.EvictionPolicy, readiness.Condition);
            Assert.Equal("eviction_policy", readiness.Reason);
            Assert.Contains($":{port} has maxmemory-policy allkeys-random", readiness.Detail, StringComparison.Ordinal);
        }
        finally
        {
            cluster.Command(2, "CONFIG SET maxmemory-policy noeviction");
        }
    }
}
