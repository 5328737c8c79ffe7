using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>What only Redis must prove about HistoryList: one hash per queue per day, bounded by its expiry, one HINCRBY per batch.</summary>
public sealed class RedisHistoryTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Fact]
    public async Task The_history_of_a_day_is_one_hash_that_expires_eight_days_after_the_day_and_a_batch_is_one_increment()
    {
        var prefix = "h" + Guid.NewGuid().ToString("N")[..12];
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = prefix, TimeProvider = _time });
        var tasks = Enumerable.Range(0, 5).Select(_ => TaskValidator.Build(
            new TaskSubmission { Type = "test.noop", Queue = "hq", Args = JsonDocument.Parse("{}").RootElement.Clone() },
            TaskIds.New(_time), _time.GetUtcNow(), TaskLimits.Default)).ToList();
        await store.TaskEnqueueMany(tasks);
        var leased = await store.TaskLease(new TaskLeaseParams("w", ["hq"], 5, TimeSpan.FromSeconds(30), TimeSpan.Zero));
        Assert.StartsWith("+OK", redis.Command("CONFIG RESETSTAT"));
        await store.TaskCompleteMany(leased.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null)).ToList());
        Assert.Contains("cmdstat_hincrby:calls=2,", redis.Command("INFO commandstats")); // meta "succeeded" and the minute: once per batch, not per task

        var day = _time.GetUtcNow().ToUnixTimeMilliseconds() / 86_400_000;
        var key = $"{prefix}:{{q:hq}}:hist:{day}";
        var minuteOfDay = HistoryMinutes.Of(_time.GetUtcNow()) % 1440;
        await using var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        Assert.Equal(5, (long)await db.HashGetAsync(key, $"s{minuteOfDay}"));
        Assert.Equal(1, (long)await db.HashLengthAsync(key));
        Assert.Equal((day + 9) * 86_400, (long)await db.ExecuteAsync("EXPIRETIME", key));
    }
}
