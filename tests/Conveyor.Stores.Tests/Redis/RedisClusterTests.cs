using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>Cluster-only facts, on the real three-node cluster.</summary>
public sealed class RedisClusterTests(RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>
{
    [Fact]
    public async Task The_cluster_agrees_that_every_key_of_a_queue_is_in_one_slot()
    {
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = cluster.ConnectionString, KeyPrefix = "slots" });
        var server = store.Multiplexer.GetServers().First(s => s.IsConnected);
        foreach (var queue in new[] { "default", "mail", "x-1" })
        {
            var q = store.Keys.Queue(queue);
            var slots = new HashSet<long>();
            foreach (var key in q.Fixed.Append(q.Task(TaskIds.New(TimeProvider.System))))
            {
                var slot = (long)await server.ExecuteAsync("CLUSTER", "KEYSLOT", (string)key!);
                Assert.Equal(ClusterSlot.Of(key!), slot);
                slots.Add(slot);
            }
            Assert.Single(slots);
        }
    }

    [Fact]
    public async Task Queues_spread_over_the_nodes_and_work_on_each()
    {
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = cluster.ConnectionString, KeyPrefix = "spread" });
        var queues = Enumerable.Range(0, 12).Select(i => $"q{i}").ToArray();
        var config = store.Multiplexer.GetServers().First(s => s.IsConnected).ClusterConfiguration!;
        var owners = queues.Select(q => config.GetBySlot(ClusterSlot.Of(store.Keys.Queue(q).Ready!))!.EndPoint).Distinct().Count();
        Assert.True(owners > 1, "twelve queues all landed on one node");

        var tasks = queues.Select(q => TaskValidator.Build(new TaskSubmission { Type = "x", Queue = q, Args = JsonDocument.Parse("1").RootElement.Clone() },
            TaskIds.New(TimeProvider.System), DateTimeOffset.UtcNow, TaskLimits.Default)).ToList();
        Assert.All(await store.TaskEnqueueMany(tasks), r => Assert.True(r.Created));
        var leased = await store.TaskLease(new TaskLeaseParams("w", queues, 100, TimeSpan.FromSeconds(30), TimeSpan.Zero));
        Assert.Equal(tasks.Select(t => t.Id), leased.Select(l => l.Task.Id));
        var acks = await store.TaskCompleteMany([.. leased.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
        Assert.All(acks, a => Assert.Equal(AckOutcome.Ok, a.Outcome));
    }
}
