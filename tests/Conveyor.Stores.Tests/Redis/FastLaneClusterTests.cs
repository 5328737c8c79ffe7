using Conveyor.Redis;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>fastlane: on a Redis Cluster the lane stays off (even when asked for) and StackExchange.Redis carries every call (it routes by slot).</summary>
[Collection(RedisClusterConformanceCollection.Name)]
public sealed class FastLaneClusterTests(RedisClusterFixture cluster)
{
    [Fact]
    public async Task The_lane_is_off_on_a_Cluster_given_all_its_nodes()
    {
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = cluster.ConnectionString, KeyPrefix = "lc" + Guid.NewGuid().ToString("N")[..6], FastLane = true });
        await Submitted(store);
    }

    [Fact]
    public async Task The_lane_is_off_on_a_Cluster_given_one_node_only()
    {
        // One endpoint looks standalone from the configuration: the lane asks the node (INFO server).
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = $"127.0.0.1:{cluster.Ports[0]}", KeyPrefix = "lc" + Guid.NewGuid().ToString("N")[..6], FastLane = true });
        await Submitted(store);
    }

    private static async Task Submitted(RedisTaskStore store)
    {
        var tasks = Enumerable.Range(0, 20).Select(i => FastLaneTests.NewTask("q" + i)).ToList(); // queues on several slots
        Assert.All(await store.TaskEnqueueMany(tasks), r => Assert.True(r.Created));
        foreach (var t in tasks) Assert.NotNull(await store.TaskGet(t.Id));
        Assert.False(store.LaneConnected);
        Assert.Equal(0, store.LaneCalls);
    }
}
