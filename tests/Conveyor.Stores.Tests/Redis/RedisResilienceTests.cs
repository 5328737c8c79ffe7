using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>Kills and restarts its own redis-server, so it has a fixture of its own.</summary>
public sealed class RedisResilienceTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Ping_is_false_while_Redis_is_away_and_true_after_a_restart_on_the_same_port()
    {
        await using var store = await RedisTaskStore.ConnectAsync(RedisStoreOptions.FromUrl($"redis://127.0.0.1:{redis.Port}/0"));
        Assert.True(await store.Ping());
        redis.Kill();
        Assert.False(await store.Ping());
        redis.Restart();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var up = false;
        while (!up && DateTime.UtcNow < until)
        {
            up = await store.Ping();
            if (!up) await Task.Delay(100);
        }
        Assert.True(up, "the store did not reconnect within 30 s");

        // Scripts are gone from the restarted server: the store reloads them (NOSCRIPT) and works on.
        var task = NewTask();
        Assert.True(Assert.Single(await store.TaskEnqueueMany([task])).Created);
        Assert.Equal(TaskState.Pending, (await store.TaskGet(task.Id))!.State);
    }

    [Fact]
    public async Task A_leaser_blocked_across_a_Redis_restart_is_still_woken_by_the_next_enqueue()
    {
        var options = new RedisStoreOptions { ConnectionString = $"127.0.0.1:{redis.Port}", KeyPrefix = "restart" };
        await using var worker = await RedisTaskStore.ConnectAsync(options);
        await using var producer = await RedisTaskStore.ConnectAsync(options);
        var waiting = worker.TaskLease(new TaskLeaseParams("w", ["jobs"], 1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60))).AsTask();
        await Task.Delay(300);
        redis.Kill();
        redis.Restart();
        await WaitUntil(async () => await worker.Ping() && await producer.Ping());
        await Task.Delay(500); // let the subscription connection come back too
        Assert.False(waiting.IsCompleted);

        var task = NewTask("jobs");
        Assert.True(Assert.Single(await producer.TaskEnqueueMany([task])).Created);
        var leased = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(task.Id, Assert.Single(leased).Task.Id);
    }

    private static TaskRecord NewTask(string queue = "default") =>
        TaskValidator.Build(new TaskSubmission { Type = "x", Queue = queue, Args = JsonDocument.Parse("1").RootElement.Clone() },
            TaskIds.New(TimeProvider.System), DateTimeOffset.UtcNow, TaskLimits.Default);

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail("Redis did not come back within 30 s");
    }
}
