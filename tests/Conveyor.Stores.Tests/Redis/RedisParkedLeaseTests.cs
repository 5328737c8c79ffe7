using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// parked: the one-step lease's Redis side (RedisTaskStore.Parked.cs, park_handoff in Lua/Lib.lua):
/// that a waiting leaser really is handed the task by the enqueue (its park record, no wake), and that a
/// park whose leaser is gone strands nothing. The store-neutral behaviour is in the conformance suite
/// (TaskDeliveryConformanceTests.Parked.cs).
/// </summary>
public sealed class RedisParkedLeaseTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(15);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private Task<RedisTaskStore> Open(string prefix, bool parkList = true) =>
        RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = prefix, TimeProvider = _time, ParkList = parkList });

    /// <summary>parklist: the ids of the store's park lines (clients named "conveyor-park") now in a BLPOP.</summary>
    private static async Task<List<string>> ParkLinesBlocked(IConnectionMultiplexer mux)
    {
        var list = (string)(await mux.GetDatabase().ExecuteAsync("CLIENT", "LIST"))!;
        return [.. list.Split('\n').Where(l => l.Contains(" name=conveyor-park ", StringComparison.Ordinal) && l.Contains(" cmd=blpop ", StringComparison.Ordinal))
            .Select(l => l.Split(' ').First(f => f.StartsWith("id=", StringComparison.Ordinal))[3..])];
    }

    private static string NewPrefix() => "pk" + Guid.NewGuid().ToString("N")[..12];

    private TaskRecord NewTask() => TaskValidator.Build(
        new TaskSubmission { Type = "test.noop", Queue = "default", Args = JsonDocument.Parse("{\"n\":1}").RootElement.Clone() },
        TaskIds.New(_time), _time.GetUtcNow(), TaskLimits.Default);

    private static TaskLeaseParams Waiting(string worker, TimeSpan wait) => new(worker, ["default"], 1, TimeSpan.FromSeconds(30), wait);

    private static async Task Until(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(Guard);
        while (!await condition()) await Task.Delay(20, cts.Token);
    }

    [Fact]
    public async Task A_waiting_leaser_parks_and_the_enqueue_leases_to_it_without_a_wake()
    {
        var prefix = NewPrefix();
        await using var store = await Open(prefix);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        RedisKey parked = prefix + ":{q:default}:pk";
        var wakes = 0;
        await mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal(prefix + ":{q:default}:wake"), (_, _) => Interlocked.Increment(ref wakes));

        var waiting = store.TaskLease(Waiting("w-1", TimeSpan.FromSeconds(30))).AsTask();
        await Until(async () => await db.SortedSetLengthAsync(parked) == 1);
        var member = (string)(await db.SortedSetRangeByRankAsync(parked))[0]!;
        Assert.EndsWith("\tw-1", member);

        var task = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
        var got = Assert.Single(await waiting.WaitAsync(Guard));
        Assert.Equal(task.Id, got.Task.Id);
        Assert.Equal(0, await db.SortedSetLengthAsync(parked));
        // A second task with nobody parked is pending and published as before.
        var second = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
        await Until(() => Task.FromResult(Volatile.Read(ref wakes) >= 1));
        Assert.Equal(1, Volatile.Read(ref wakes)); // the first enqueue, taken by the park, woke nobody
        Assert.Equal(TaskState.Pending, (await store.TaskGet(second.Id))!.State);
    }

    [Fact]
    public async Task A_park_whose_leaser_is_gone_takes_a_task_only_until_it_lapses_and_that_lease_is_reclaimed()
    {
        var prefix = NewPrefix();
        await using var store = await Open(prefix);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        RedisKey parked = prefix + ":{q:default}:pk";
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        // The records two dead leasers left (the member format is park_handoff's): one lapsed, one not yet.
        await db.SortedSetAddAsync(parked, $"dead.1\t30000\tPUBLISH {prefix}:{{q:default}}:pk:dead\tdefault/lapsed.1\tlapsed", now - 1);
        var first = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
        Assert.Equal(TaskState.Pending, (await store.TaskGet(first.Id))!.State);
        Assert.Equal(0, await db.SortedSetLengthAsync(parked));

        await db.SortedSetAddAsync(parked, $"dead.2\t30000\tPUBLISH {prefix}:{{q:default}}:pk:dead\tdefault/ghost.1\tghost", now + 2000);
        var second = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
        // The older pending task is the best ready one: the ghost's park took it, as an ordinary lease.
        var taken = (await store.TaskGet(first.Id))!;
        Assert.Equal((TaskState.Running, "ghost", 1), (taken.State, taken.WorkerId, taken.Attempt));
        Assert.Equal(TaskState.Pending, (await store.TaskGet(second.Id))!.State);

        _time.Advance(TimeSpan.FromSeconds(31)); // past the ghost's lease
        await store.MaintenanceRun(TimeSpan.FromDays(7));
        _time.Advance(TimeSpan.FromHours(1)); // past its retry's backoff
        var live = await store.TaskLease(new TaskLeaseParams("live", ["default"], 10, TimeSpan.FromSeconds(30), TimeSpan.Zero));
        Assert.Equal(new[] { first.Id, second.Id }.Order(), live.Select(l => l.Task.Id).Order());
        Assert.Equal(2, live.Single(l => l.Task.Id == first.Id).Task.Attempt);
        foreach (var l in live) Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)])).Outcome);
    }

    [Fact]
    public async Task A_leaser_woken_by_a_retry_while_parked_takes_its_park_back_and_leases()
    {
        var prefix = NewPrefix();
        await using var store = await Open(prefix);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        RedisKey parked = prefix + ":{q:default}:pk";
        var task = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
        var held = Assert.Single(await store.TaskLease(Waiting("holder", TimeSpan.Zero)));
        var waiting = store.TaskLease(Waiting("waiter", TimeSpan.FromSeconds(30))).AsTask();
        await Until(async () => await db.SortedSetLengthAsync(parked) == 1);
        await store.TaskFailMany([new(held.Task.Id, held.LeaseToken, new TaskError("E", "m"), true, TimeSpan.Zero)]);
        var got = Assert.Single(await waiting.WaitAsync(Guard));
        Assert.Equal((task.Id, 2, "waiter"), (got.Task.Id, got.Task.Attempt, got.Task.WorkerId));
        Assert.Equal(0, await db.SortedSetLengthAsync(parked));
    }

    [Fact]
    public async Task A_parked_leaser_waits_in_a_BLPOP_of_its_own_list_and_the_enqueue_pushes_the_task_there()
    {
        var prefix = NewPrefix();
        await using var store = await Open(prefix);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        RedisKey parked = prefix + ":{q:default}:pk";
        var waiting = store.TaskLease(Waiting("w-1", TimeSpan.FromSeconds(30))).AsTask();
        await Until(async () => await db.SortedSetLengthAsync(parked) == 1 && (await ParkLinesBlocked(mux)).Count == 1);
        var member = ((string)(await db.SortedSetRangeByRankAsync(parked))[0]!).Split('\t');
        Assert.StartsWith($"LPUSH {prefix}:{{q:default}}:pl:", member[2]);

        var task = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
        var got = Assert.Single(await waiting.WaitAsync(Guard));
        Assert.Equal((task.Id, 1, "w-1"), (got.Task.Id, got.Task.Attempt, got.Task.WorkerId));
        Assert.False(await db.KeyExistsAsync(member[2]["LPUSH ".Length..])); // popped: nothing left on the list
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(task.Id, got.LeaseToken, null)])).Outcome);
    }

    [Fact]
    public async Task With_ParkList_off_a_parked_leaser_is_handed_its_task_on_the_pub_sub_channel()
    {
        var prefix = NewPrefix();
        await using var store = await Open(prefix, parkList: false);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        RedisKey parked = prefix + ":{q:default}:pk";
        var waiting = store.TaskLease(Waiting("w-1", TimeSpan.FromSeconds(30))).AsTask();
        await Until(async () => await db.SortedSetLengthAsync(parked) == 1);
        var member = ((string)(await db.SortedSetRangeByRankAsync(parked))[0]!).Split('\t');
        Assert.Equal($"PUBLISH {prefix}:{{q:default}}:pk:", member[2][..^12]);
        var task = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
        Assert.Equal(task.Id, Assert.Single(await waiting.WaitAsync(Guard)).Task.Id);
    }

    [Fact]
    public async Task A_park_line_killed_at_any_moment_around_the_hand_off_loses_nothing_and_leases_each_task_once()
    {
        var prefix = NewPrefix();
        await using var store = await Open(prefix);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        RedisKey parked = prefix + ":{q:default}:pk";
        for (var round = 0; round < 12; round++)
        {
            var waiting = store.TaskLease(Waiting("w-" + round, TimeSpan.FromSeconds(30))).AsTask();
            await Until(async () => await db.SortedSetLengthAsync(parked) == 1 && (await ParkLinesBlocked(mux)).Count >= 1);
            var lines = await ParkLinesBlocked(mux);
            // Killed before, at once after or a little after the enqueue: the BLPOP breaks off with or
            // without the hand-off popped; the waiter still gets the task, once, with its own lease.
            var kill = Task.Run(async () =>
            {
                if (round % 3 == 2) await Task.Delay(1);
                foreach (var id in lines) await db.ExecuteAsync("CLIENT", "KILL", "ID", id);
            });
            if (round % 3 == 0) await kill;
            var task = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
            await kill;
            var got = Assert.Single(await waiting.WaitAsync(Guard));
            Assert.Equal((task.Id, 1, "w-" + round), (got.Task.Id, got.Task.Attempt, got.Task.WorkerId));
            Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(task.Id, got.LeaseToken, null)])).Outcome);
            Assert.Equal(TaskState.Succeeded, (await store.TaskGet(task.Id))!.State);
        }
        Assert.Empty(await store.TaskLease(Waiting("after", TimeSpan.Zero)));
    }

    [Fact]
    public async Task A_dead_leasers_list_park_takes_a_task_as_an_ordinary_lease_and_its_list_expires()
    {
        var prefix = NewPrefix();
        await using var store = await Open(prefix);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        RedisKey parked = prefix + ":{q:default}:pk";
        RedisKey list = prefix + ":{q:default}:pl:dead.1";
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.SortedSetAddAsync(parked, $"dead.1\t30000\tLPUSH {list}\tdefault/ghost.1\tghost", now + 2000);
        var task = (await store.TaskEnqueueMany([NewTask()]))[0].Task;
        var taken = (await store.TaskGet(task.Id))!;
        Assert.Equal((TaskState.Running, "ghost", 1), (taken.State, taken.WorkerId, taken.Attempt));
        Assert.Equal(1, await db.ListLengthAsync(list));
        Assert.NotNull(await db.KeyTimeToLiveAsync(list)); // nobody pops it: it goes with its key

        _time.Advance(TimeSpan.FromSeconds(31)); // past the ghost's lease
        await store.MaintenanceRun(TimeSpan.FromDays(7));
        _time.Advance(TimeSpan.FromHours(1)); // past its retry's backoff
        var live = Assert.Single(await store.TaskLease(new TaskLeaseParams("live", ["default"], 10, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        Assert.Equal((task.Id, 2), (live.Task.Id, live.Task.Attempt));
    }
}
