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
        var task = TaskValidator.Build(new TaskSubmission { Type = "x", Args = JsonDocument.Parse("1").RootElement.Clone() },
            TaskIds.New(TimeProvider.System), DateTimeOffset.UtcNow, TaskLimits.Default);
        Assert.True(Assert.Single(await store.TaskEnqueueMany([task])).Created);
        Assert.Equal(TaskState.Pending, (await store.TaskGet(task.Id))!.State);
    }
}
