using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// memory: layout 3 (RedisTaskStore.Memory.cs): task hashes without "id" and "q", no id -> queue index.
/// A store opened on layout-2 keys (what main wrote: both fields in every hash, the {tq:x} buckets, layout
/// key 2) upgrades them at open, in bounded steps, from two processes at once, and every task stays
/// readable, listable, leasable and acknowledgeable. About 3 s on a real redis-server.
/// </summary>
public sealed class RedisLayout3Tests(RedisServerFixture redis) : RedisLayoutTestBase(redis, "m"), IClassFixture<RedisServerFixture>
{
    /// <summary>
    /// Rewrites every task of <paramref name="tasks"/> (id -> queue) into layout 2, as main's TaskEnqueueMany
    /// wrote it: "id" and "q" in the hash, "at" 0 until the first lease, "sf" always (the created time of the
    /// spec unless run_at said otherwise), an entry in the id -> queue index, and layout key 2.
    /// </summary>
    private static async Task DowngradeToLayout2(RedisTaskStore store, IReadOnlyDictionary<string, string> tasks)
    {
        var db = store.Multiplexer.GetDatabase();
        foreach (var chunk in tasks.Chunk(500))
        {
            await Task.WhenAll(chunk.Select(t => db.HashSetAsync(store.Keys.Queue(t.Value).Task(t.Key), [new HashEntry("id", t.Key), new HashEntry("q", t.Value)])));
            await Task.WhenAll(chunk.Select(t => db.HashSetAsync(store.Keys.Queue(t.Value).Task(t.Key), "at", 0, When.NotExists)));
            await Task.WhenAll(chunk.Select(async t =>
            {
                var key = store.Keys.Queue(t.Value).Task(t.Key);
                var created = ((string)(await db.HashGetAsync(key, "sp"))!).Split('|')[6];
                await db.HashSetAsync(key, "sf", created, When.NotExists);
            }));
            await Task.WhenAll(chunk.Select(t => db.HashSetAsync(store.Keys.LegacyTaskIndexFor(t.Key), t.Key, t.Value)));
        }
        await db.StringSetAsync(store.Keys.Layout, 2);
    }

    private static async Task<long> HashesWithOldFields(RedisTaskStore store, IReadOnlyDictionary<string, string> tasks, string field = "q")
    {
        var db = store.Multiplexer.GetDatabase();
        var has = await Task.WhenAll(tasks.Select(t => db.HashExistsAsync(store.Keys.Queue(t.Value).Task(t.Key), field)));
        return has.Count(h => h);
    }

    [Fact]
    public async Task A_store_opened_on_layout_2_keys_drops_the_key_fields_and_the_id_index_and_every_task_stays_usable()
    {
        var prefix = NewPrefix();
        var queueOf = new Dictionary<string, string>();
        var state = new Dictionary<string, TaskState>();
        List<LeasedTask> stillRunning;
        Dictionary<string, string> pendingOf() => queueOf.Where(e => state[e.Key] == TaskState.Pending).ToDictionary();
        await using (var old = await Open(prefix))
        {
            // 2,600 tasks in "a" (three upgrade steps of 1,000), 20 in "b", in every state.
            var a = Enumerable.Range(0, 2600).Select(_ => NewTask("a")).ToList();
            var b = Enumerable.Range(0, 20).Select(i => NewTask("b", i < 5 ? TimeSpan.FromHours(1) : null)).ToList();
            await old.TaskEnqueueMany(a);
            await old.TaskEnqueueMany(b);
            foreach (var t in a.Concat(b)) { queueOf[t.Id] = t.Queue; state[t.Id] = t.State; }
            var leased = await old.TaskLease(new TaskLeaseParams("w", ["a"], 300, TimeSpan.FromMinutes(5), TimeSpan.Zero));
            await old.TaskCompleteMany([.. leased.Take(200).Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
            await old.TaskFailMany([.. leased.Skip(200).Take(50).Select(l => new TaskFailParams(l.Task.Id, l.LeaseToken, new TaskError("E", "m"), Retry: false))]);
            foreach (var l in leased.Take(200)) state[l.Task.Id] = TaskState.Succeeded;
            foreach (var l in leased.Skip(200).Take(50)) state[l.Task.Id] = TaskState.Failed;
            stillRunning = [.. leased.Skip(250)];
            foreach (var l in stillRunning) state[l.Task.Id] = TaskState.Running;
            foreach (var t in a.Skip(2500).Take(10)) { await old.TaskCancel(t.Id); state[t.Id] = TaskState.Cancelled; }

            // What layout 3 writes: no key fields, no attempt before the first lease, no index.
            Assert.Equal(0, await HashesWithOldFields(old, queueOf));
            Assert.Equal(0, await HashesWithOldFields(old, pendingOf(), "at"));
            Assert.Equal(0, await HashesWithOldFields(old, pendingOf(), "sf"));
            await DowngradeToLayout2(old, queueOf);
            Assert.Equal(queueOf.Count, await HashesWithOldFields(old, queueOf));

            // One step is bounded: at most 1,000 hashes, and a cursor to go on from.
            var q = old.Keys.Queue("a");
            var step = (RedisResult[])(await old.Multiplexer.GetDatabase().ScriptEvaluateAsync(ScriptCatalog.LayoutUpgrade3.Body,
                [q.StateIndex, q.Running], [q.TaskPrefix, "ix", "", 1000]))!;
            Assert.Equal(1000, (long)step[0]);
            Assert.NotEqual("", (string?)step[1]);
        }

        // Two processes open the layout-2 keys at once: both upgrade, side by side, and agree.
        var opened = await Task.WhenAll(Open(prefix), Open(prefix));
        await using var store = opened[0];
        await using var other = opened[1];
        var db = store.Multiplexer.GetDatabase();
        Assert.Equal("3", (string?)await db.StringGetAsync(store.Keys.Layout));
        Assert.Equal(0, await HashesWithOldFields(store, queueOf));
        Assert.Equal(0, await HashesWithOldFields(store, queueOf, "id"));
        Assert.Equal(0, await HashesWithOldFields(store, pendingOf(), "at"));
        Assert.Equal(0, await HashesWithOldFields(store, pendingOf(), "sf"));
        Assert.Equal(5, await HashesWithOldFields(store, queueOf, "sf")); // the delayed ones keep their run time
        foreach (var bucket in store.Keys.LegacyTaskIndexBuckets) Assert.False(await db.KeyExistsAsync(bucket));

        // Every task reads back by its bare id, with its id, queue and state, from either process.
        foreach (var (id, queue) in queueOf)
        {
            var got = await (id.GetHashCode() % 2 == 0 ? store : other).TaskGet(id);
            Assert.NotNull(got);
            Assert.Equal((id, queue, state[id]), (got.Id, got.Queue, got.State));
            if (got.State == TaskState.Pending) Assert.Equal(got.CreatedAt, got.ScheduledFor);
            if (got.State == TaskState.Scheduled) Assert.True(got.ScheduledFor > got.CreatedAt);
        }
        foreach (var s in state.Values.Distinct())
        {
            var listed = await ListAll(store, new TaskListParams(s));
            Assert.Equal(state.Where(e => e.Value == s).Select(e => e.Key).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
            var page = await store.TaskList(new TaskListParams(s, Limit: 5));
            Assert.All(page.Items, t => Assert.Equal(queueOf[t.Id], t.Queue));
        }

        // The leases taken before the upgrade still acknowledge; every pending task is leasable.
        var done = await store.TaskCompleteMany([.. stillRunning.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
        Assert.All(done, r => Assert.Equal(AckOutcome.Ok, r.Outcome));
        var pending = state.Where(e => e.Value == TaskState.Pending).Select(e => e.Key).ToHashSet();
        var leasedAfter = new List<LeasedTask>();
        for (var i = 0; i < 100 && leasedAfter.Count < pending.Count; i++)
        {
            var got = await other.TaskLease(new TaskLeaseParams("w2", ["a", "b"], 500, TimeSpan.FromMinutes(5), TimeSpan.Zero));
            if (got.Count == 0) break;
            leasedAfter.AddRange(got);
        }
        Assert.Equal(pending.Order(StringComparer.Ordinal), leasedAfter.Select(l => l.Task.Id).Order(StringComparer.Ordinal));
        Assert.All(leasedAfter, l => Assert.Equal(queueOf[l.Task.Id], l.Task.Queue));
        var cancel = await store.TaskCancel(leasedAfter[0].Task.Id);
        Assert.Equal(CancelOutcome.CancelledWhileRunning, cancel.Outcome);
        Assert.Equal((leasedAfter[0].Task.Id, queueOf[leasedAfter[0].Task.Id]), (cancel.Task!.Id, cancel.Task.Queue));
    }

    [Fact]
    public async Task A_bare_id_finds_its_task_in_any_known_queue_and_an_unknown_id_is_not_found()
    {
        await using var store = await Open(NewPrefix());
        var tasks = new[] { "x", "y", "z" }.Select(q => NewTask(q)).ToList();
        await store.TaskEnqueueMany(tasks);
        foreach (var t in tasks)
        {
            var got = await store.TaskGet(t.Id);
            Assert.Equal((t.Id, t.Queue), (got!.Id, got.Queue));
        }
        Assert.Null(await store.TaskGet(TaskIds.New(Time)));
        Assert.Equal(CancelOutcome.NotFound, (await store.TaskCancel(TaskIds.New(Time))).Outcome);
        var cancelled = await store.TaskCancel(tasks[1].Id);
        Assert.Equal((CancelOutcome.Cancelled, "y"), (cancelled.Outcome, cancelled.Task!.Queue));
    }
}
