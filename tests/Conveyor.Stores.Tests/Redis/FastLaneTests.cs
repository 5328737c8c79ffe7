using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// fastlane: the hot scripts' own connection (RedisStoreOptions.FastLane) on a real redis-server of
/// this class's own (the tests pause it, flush its scripts and kill its clients). The store contract
/// suites run with the lane on too (FastLaneConformanceTests).
/// </summary>
public sealed class FastLaneTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task A_submit_a_lease_and_an_acknowledgement_go_over_the_lane()
    {
        await using var store = await Open("lane-hot");
        Assert.True(store.LaneConnected);
        Assert.Contains("name=conveyor-lane", redis.Command("CLIENT LIST"));
        var before = store.LaneCalls;

        var task = NewTask("jobs");
        Assert.True(Assert.Single(await store.TaskEnqueueMany([task])).Created);
        var leased = Assert.Single(await store.TaskLease(new TaskLeaseParams("w", ["jobs"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        Assert.Equal(task.Id, leased.Task.Id);
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new TaskCompleteParams(task.Id, leased.LeaseToken, null)])).Outcome);

        Assert.Equal(TaskState.Succeeded, (await store.TaskGet(task.Id))!.State);
        Assert.True(store.LaneCalls - before >= 3, $"only {store.LaneCalls - before} calls went over the lane");
    }

    [Fact]
    public async Task The_lane_is_on_by_default()
    {
        Assert.True(new RedisStoreOptions().FastLane);
        await using var store = await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = "lane-default" + Guid.NewGuid().ToString("N")[..6] });
        Assert.True(store.LaneConnected);
        var before = store.LaneCalls;
        Assert.True(Assert.Single(await store.TaskEnqueueMany([NewTask("jobs")])).Created);
        Assert.Equal(1, store.LaneCalls - before);
    }

    [Fact]
    public async Task With_the_option_off_every_call_goes_through_StackExchange_Redis()
    {
        await using var store = await Open("lane-off", o => o.FastLane = false);
        var task = NewTask("jobs");
        Assert.True(Assert.Single(await store.TaskEnqueueMany([task])).Created);
        Assert.Equal(TaskState.Pending, (await store.TaskGet(task.Id))!.State);
        Assert.False(store.LaneConnected);
        Assert.Equal(0, store.LaneCalls);
    }

    [Theory]
    [InlineData("off", true, false)]
    [InlineData("OFF", true, false)]
    [InlineData("false", true, false)]
    [InlineData("on", false, true)]
    [InlineData("1", false, true)]
    public async Task The_url_query_fastlane_wins_over_the_option(string value, bool option, bool connected)
    {
        await using var store = await Open("lane-url", o =>
        {
            o.ConnectionString = $"redis://127.0.0.1:{redis.Port}?fastlane={value}";
            o.FastLane = option;
        });
        Assert.Equal(connected, store.LaneConnected);
        var task = NewTask("jobs");
        var before = store.LaneCalls;
        Assert.True(Assert.Single(await store.TaskEnqueueMany([task])).Created);
        Assert.Equal(connected ? 1 : 0, store.LaneCalls - before);
        Assert.Equal(TaskState.Pending, (await store.TaskGet(task.Id))!.State);
    }

    [Fact]
    public async Task After_SCRIPT_FLUSH_the_lane_sends_the_script_once_with_EVAL_and_goes_on()
    {
        await using var store = await Open("lane-noscript");
        Assert.True(Assert.Single(await store.TaskEnqueueMany([NewTask("jobs")])).Created);
        Assert.StartsWith("+OK", redis.Command("SCRIPT FLUSH"));
        var before = store.LaneCalls;
        var task = NewTask("jobs");
        Assert.True(Assert.Single(await store.TaskEnqueueMany([task])).Created);
        Assert.Equal(2, store.LaneCalls - before); // EVALSHA answered NOSCRIPT, then EVAL
        Assert.Equal(TaskState.Pending, (await store.TaskGet(task.Id))!.State);
    }

    [Fact]
    public async Task A_Redis_error_on_the_lane_is_reported_as_StackExchange_Redis_reports_it()
    {
        await using var store = await Open("lane-oom");
        Assert.True(Assert.Single(await store.TaskEnqueueMany([NewTask("jobs")])).Created);
        Assert.StartsWith("+OK", redis.Command("CONFIG SET maxmemory 1"));
        try
        {
            var refused = NewTask("jobs");
            var before = store.LaneCalls;
            await Assert.ThrowsAsync<StoreFullException>(async () => await store.TaskEnqueueMany([refused]));
            Assert.True(store.LaneCalls > before, "the refused submit did not go over the lane");
            Assert.Null(await store.TaskGet(refused.Id));
        }
        finally
        {
            redis.Command("CONFIG SET maxmemory 0");
        }
        Assert.True(Assert.Single(await store.TaskEnqueueMany([NewTask("jobs")])).Created);
    }

    [Fact]
    public async Task A_call_Redis_does_not_answer_in_time_fails_as_unreachable_and_the_late_reply_is_not_given_to_the_next_call()
    {
        await using var store = await Open("lane-timeout", o => o.CommandTimeout = TimeSpan.FromMilliseconds(500));
        Assert.True(Assert.Single(await store.TaskEnqueueMany([NewTask("jobs")])).Created); // the queue is remembered
        Assert.StartsWith("+OK", redis.Command("CLIENT PAUSE 2500 WRITE"));
        var late = NewTask("jobs");
        var e = await Assert.ThrowsAsync<StoreUnreachableException>(async () => await store.TaskEnqueueMany([late]));
        Assert.True(e.OutcomeUnknown);

        // Once Redis answers again the late call has run, and the next one gets its own answer.
        var next = NewTask("jobs");
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        IReadOnlyList<EnqueueResult>? created = null;
        while (created is null && DateTime.UtcNow < until)
        {
            try { created = await store.TaskEnqueueMany([next]); }
            catch (StoreUnreachableException) { await Task.Delay(100); }
        }
        Assert.NotNull(created);
        Assert.Equal(next.Id, Assert.Single(created).Task.Id);
        Assert.Equal(TaskState.Pending, (await store.TaskGet(late.Id))!.State);
        Assert.True(store.LaneConnected);
    }

    [Fact]
    public async Task A_lane_connection_killed_under_load_fails_its_calls_as_unreachable_and_reconnects()
    {
        await using var store = await Open("lane-kill");
        Assert.True(Assert.Single(await store.TaskEnqueueMany([NewTask("jobs")])).Created);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var created = new System.Collections.Concurrent.ConcurrentBag<string>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var submitters = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 300 && !stop.IsCancellationRequested; i++)
            {
                var t = NewTask("jobs");
                try { if (Assert.Single(await store.TaskEnqueueMany([t])).Created) created.Add(t.Id); }
                catch (Exception e) { failures.Add(e); }
            }
        })).ToList();
        await Task.Delay(100);
        var id = LaneClientId();
        Assert.StartsWith(":1", redis.Command($"CLIENT KILL ID {id}"));
        await Task.WhenAll(submitters);

        Assert.All(failures, e => Assert.IsType<StoreUnreachableException>(e));
        foreach (var t in created) Assert.NotNull(await store.TaskGet(t));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!store.LaneConnected && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.True(store.LaneConnected, "the lane did not reconnect within 30 s");
        Assert.NotEqual(id, LaneClientId());
        var before = store.LaneCalls;
        Assert.True(Assert.Single(await store.TaskEnqueueMany([NewTask("jobs")])).Created);
        Assert.True(store.LaneCalls > before, "the submit after the reconnect did not go over the lane");
    }

    private string LaneClientId()
    {
        var line = redis.Command("CLIENT LIST").Split('\n').First(l => l.Contains("name=conveyor-lane", StringComparison.Ordinal));
        return line.Split(' ').First(p => p.StartsWith("id=", StringComparison.Ordinal))[3..];
    }

    private async Task<RedisTaskStore> Open(string prefix, Action<RedisStoreOptions>? configure = null)
    {
        var options = new RedisStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = prefix + Guid.NewGuid().ToString("N")[..6], FastLane = true };
        configure?.Invoke(options);
        return await RedisTaskStore.ConnectAsync(options);
    }

    internal static TaskRecord NewTask(string queue = "default") =>
        TaskValidator.Build(new TaskSubmission { Type = "x", Queue = queue, Args = JsonDocument.Parse("1").RootElement.Clone() },
            TaskIds.New(TimeProvider.System), DateTimeOffset.UtcNow, TaskLimits.Default);
}
