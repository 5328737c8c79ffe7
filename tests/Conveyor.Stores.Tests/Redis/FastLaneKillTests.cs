using System.Collections.Concurrent;
using Conveyor.Redis;
using Conveyor.Store;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// fastlane: a real redis-server (AOF, fsync always) killed with SIGKILL and restarted on the same
/// port and files while 16 callers submit one task each, again and again, over the lane. Every submit
/// that returned has its task afterwards; the others threw the store-level error; the lane comes back.
/// Its own redis-server and temp dir, so it runs beside the other classes; about 5-10 s.
/// </summary>
public sealed class FastLaneKillTests : IDisposable
{
    private readonly RedisProcess _redis;

    public FastLaneKillTests()
    {
        _redis = new RedisProcess(RedisProcess.FreePort(), Path.Combine(Path.GetTempPath(), "conveyor-lane-kill-" + Guid.NewGuid().ToString("N")[..8]),
            "--appendonly", "yes", "--appendfsync", "always");
        _redis.Start();
    }

    [Fact]
    public async Task Redis_killed_9_and_restarted_under_single_submits_loses_no_acknowledged_task_and_the_lane_reconnects()
    {
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = $"127.0.0.1:{_redis.Port}", KeyPrefix = "kill", FastLane = true });
        Assert.True(store.LaneConnected);
        var acknowledged = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<Exception>();
        var killed = new TaskCompletionSource();
        var afterRestart = 0;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var submitters = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            // Until 200 submits have been acknowledged after the restart (bounded by time and count).
            for (var i = 0; i < 5_000 && Volatile.Read(ref afterRestart) < 200 && !bound.IsCancellationRequested; i++)
            {
                var t = FastLaneTests.NewTask("jobs");
                try
                {
                    if (Assert.Single(await store.TaskEnqueueMany([t])).Created) acknowledged.Add(t.Id);
                    if (killed.Task.IsCompleted) Interlocked.Increment(ref afterRestart);
                }
                catch (Exception e)
                {
                    failures.Add(e);
                    await Task.Delay(20);
                }
            }
        })).ToList();

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (acknowledged.Count < 300 && DateTime.UtcNow < until) await Task.Delay(10);
        _redis.Kill(); // SIGKILL, with submits in flight
        await Task.Delay(300);
        _redis.Start();
        killed.SetResult();
        await Task.WhenAll(submitters);

        Assert.True(afterRestart >= 200, $"only {afterRestart} submits were acknowledged after the restart");
        Assert.All(failures, e => Assert.True(StoreUnreachableException.IsUnreachable(e), e.ToString()));
        // Read back through StackExchange.Redis, which may still be reconnecting after the restart (the lane
        // can be back first): an unreachable read is asked again, within a bound; a missing task is a loss.
        var reads = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var id in acknowledged)
            while (true)
            {
                try { Assert.NotNull(await store.TaskGet(id)); break; }
                catch (Exception e) when (StoreUnreachableException.IsUnreachable(e) && DateTime.UtcNow < reads) { await Task.Delay(100); }
            }
        var lane = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!store.LaneConnected && DateTime.UtcNow < lane) await Task.Delay(50);
        Assert.True(store.LaneConnected, "the lane did not reconnect within 30 s");
        var before = store.LaneCalls;
        Assert.True(Assert.Single(await store.TaskEnqueueMany([FastLaneTests.NewTask("jobs")])).Created);
        Assert.True(store.LaneCalls > before, "the submit after the restart did not go over the lane");
    }

    public void Dispose()
    {
        _redis.Dispose();
        try { Directory.Delete(_redis.Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
