using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>What only the Redis store must prove about the dashboard's operations: a delete leaves no trace in any index.</summary>
public sealed class RedisSearchTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Theory]
    [InlineData("pending")]
    [InlineData("scheduled")]
    [InlineData("failed")]
    public async Task TaskDeleteMany_removes_every_trace_of_a_task(string state)
    {
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions
        {
            ConnectionString = redis.ConnectionString, KeyPrefix = "s" + Guid.NewGuid().ToString("N")[..12], TimeProvider = _time,
        });
        var task = TaskValidator.Build(new TaskSubmission
        {
            Type = "test.noop", Queue = "del", IdempotencyKey = "key-1", MaxAttempts = 1,
            Delay = state == "scheduled" ? TimeSpan.FromHours(1) : null, Args = JsonDocument.Parse("{}").RootElement.Clone(),
        }, TaskIds.New(_time), _time.GetUtcNow(), TaskLimits.Default);
        await store.TaskEnqueueMany([task]);
        if (state == "failed")
        {
            var lease = Assert.Single(await store.TaskLease(new TaskLeaseParams("w", ["del"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
            await store.TaskFailMany([new TaskFailParams(task.Id, lease.LeaseToken, new TaskError("E", "m"), Retry: false)]);
        }
        var q = store.Keys.Queue("del");
        Assert.StartsWith(":1", redis.Command($"HEXISTS {q.Idem} key-1"));

        Assert.Equal(DeleteOutcome.Deleted, Assert.Single(await store.TaskDeleteMany([task.Id])).Outcome);

        Assert.StartsWith(":0", redis.Command($"EXISTS {q.Task(task.Id)}"));
        Assert.StartsWith(":0", redis.Command($"EXISTS {store.Keys.LegacyTaskIndexFor(task.Id)}")); // memory: no id -> queue index (layout 3)
        Assert.StartsWith(":0", redis.Command($"HEXISTS {q.Idem} key-1"));
        Assert.StartsWith(":0", redis.Command($"ZCARD {q.IdemExpiry}"));
        foreach (var key in new[] { q.All, q.Done, q.Ready, q.Scheduled, q.Running, q.Dead })
            Assert.StartsWith(":0", redis.Command($"ZCARD {key}"));
        // Every count is back to zero, so the queue is no longer listed.
        Assert.DoesNotContain(await store.QueueList(), c => c.Name == "del");
    }
}
