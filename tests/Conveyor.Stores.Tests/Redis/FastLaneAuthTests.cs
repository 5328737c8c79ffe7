using Conveyor.Redis;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// fastlane: the lane signs in with the connection string's user and password (an ACL user on a real
/// redis-server of its own; the default user stays open so the fixture's probe still works).
/// </summary>
public sealed class FastLaneAuthTests : IDisposable
{
    private readonly RedisProcess _redis;

    public FastLaneAuthTests()
    {
        _redis = new RedisProcess(RedisProcess.FreePort(), Path.Combine(Path.GetTempPath(), "conveyor-lane-auth-" + Guid.NewGuid().ToString("N")[..8]),
            "--user", "alice", "on", ">s3cret", "~*", "&*", "+@all");
        _redis.Start();
    }

    [Fact]
    public async Task The_lane_authenticates_as_the_urls_user_and_carries_the_hot_scripts()
    {
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = $"redis://alice:s3cret@127.0.0.1:{_redis.Port}/0", FastLane = true });
        Assert.True(store.LaneConnected);
        var lane = _redis.Command("CLIENT LIST").Split('\n').Single(l => l.Contains("name=conveyor-lane", StringComparison.Ordinal));
        Assert.Contains(" user=alice ", lane);
        var before = store.LaneCalls;
        var task = FastLaneTests.NewTask("jobs");
        Assert.True(Assert.Single(await store.TaskEnqueueMany([task])).Created);
        Assert.True(store.LaneCalls > before);
        Assert.NotNull(await store.TaskGet(task.Id));
    }

    [Fact]
    public async Task With_a_wrong_password_the_lane_stays_down_and_nothing_goes_over_it()
    {
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = $"redis://alice:wrong@127.0.0.1:{_redis.Port}/0", FastLane = true });
        Assert.False(store.LaneConnected);
        Assert.Equal(0, store.LaneCalls);
        Assert.DoesNotContain("name=conveyor-lane", _redis.Command("CLIENT LIST"));
    }

    public void Dispose()
    {
        _redis.Dispose();
        try { Directory.Delete(_redis.Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
