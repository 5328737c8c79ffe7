using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// The key layout version (RedisTaskStore.Layout.cs): a store opened on keys of layout 1 (what main wrote
/// before the state index: every id in "all", no "ix", no layout key) builds the state index at open, in
/// bounded steps, from several processes at once; a layout newer than this version is refused.
/// </summary>
public sealed class RedisLayoutTests(RedisServerFixture redis) : RedisLayoutTestBase(redis, "l"), IClassFixture<RedisServerFixture>
{
    /// <summary>
    /// Rewrites the keys of <paramref name="queues"/> into layout 1, as main's scripts left them: the
    /// state index goes, "all" holds every task id at score 0, and there is no layout key.
    /// </summary>
    private static async Task DowngradeToLayout1(RedisTaskStore store, IEnumerable<string> queues)
    {
        var db = store.Multiplexer.GetDatabase();
        foreach (var name in queues)
        {
            var q = store.Keys.Queue(name);
            var members = await db.SortedSetRangeByRankAsync(q.StateIndex);
            Assert.NotEmpty(members);
            await db.KeyDeleteAsync(q.StateIndex);
            foreach (var chunk in members.Chunk(1000))
                await db.SortedSetAddAsync(q.All, [.. chunk.Select(m => new SortedSetEntry(((string)m!)[1..], 0))]);
        }
        await db.KeyDeleteAsync(store.Keys.Layout);
    }

    [Fact]
    public async Task A_store_opened_on_layout_1_keys_builds_the_state_index_and_lists_every_state()
    {
        var prefix = NewPrefix();
        var expected = new Dictionary<TaskState, HashSet<string>>();
        void Expect(TaskState s, string id)
        {
            foreach (var set in expected.Values) set.Remove(id);
            (expected.TryGetValue(s, out var set2) ? set2 : expected[s] = []).Add(id);
        }
        await using (var old = await Open(prefix))
        {
            // 2,600 tasks in "a" (more than one upgrade step of 1,000), a few in "b", in every state.
            var a = Enumerable.Range(0, 2600).Select(_ => NewTask("a")).ToList();
            var b = Enumerable.Range(0, 20).Select(i => NewTask("b", i < 5 ? TimeSpan.FromHours(1) : null)).ToList();
            await old.TaskEnqueueMany(a);
            await old.TaskEnqueueMany(b);
            foreach (var t in a) Expect(TaskState.Pending, t.Id);
            foreach (var t in b) Expect(t.State, t.Id);
            var leased = await old.TaskLease(new TaskLeaseParams("w", ["a"], 300, TimeSpan.FromMinutes(5), TimeSpan.Zero));
            foreach (var l in leased) Expect(TaskState.Running, l.Task.Id);
            await old.TaskCompleteMany([.. leased.Take(200).Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
            foreach (var l in leased.Take(200)) Expect(TaskState.Succeeded, l.Task.Id);
            await old.TaskFailMany([.. leased.Skip(200).Take(50).Select(l => new TaskFailParams(l.Task.Id, l.LeaseToken, new TaskError("E", "m"), Retry: false))]);
            foreach (var l in leased.Skip(200).Take(50)) Expect(TaskState.Failed, l.Task.Id);
            foreach (var t in a.Skip(2500).Take(10)) { await old.TaskCancel(t.Id); Expect(TaskState.Cancelled, t.Id); }
            await DowngradeToLayout1(old, ["a", "b"]);
        }

        // Two processes open the layout-1 keys at once: both upgrade, side by side, and agree.
        var opened = await Task.WhenAll(Open(prefix), Open(prefix));
        await using var store = opened[0];
        await using var other = opened[1];
        var db = store.Multiplexer.GetDatabase();
        Assert.Equal("3", (string?)await db.StringGetAsync(store.Keys.Layout)); // memory: then on to layout 3
        Assert.False(await db.KeyExistsAsync(store.Keys.Queue("a").All));
        Assert.False(await db.KeyExistsAsync(store.Keys.Queue("b").All));

        foreach (var (state, ids) in expected)
        {
            var listed = await ListAll(store, new TaskListParams(state));
            Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
            Assert.Equal(listed.OrderDescending(StringComparer.Ordinal), listed); // newest first
            Assert.Equal(ids.Count, (await ListAll(other, new TaskListParams(state))).Count);
        }
        Assert.Equal(expected.Values.Sum(s => s.Count), (await ListAll(store, new TaskListParams())).Count);

        // And the index moves on with the tasks: a lease after the upgrade lists them as running.
        var more = await store.TaskLease(new TaskLeaseParams("w", ["a"], 10, TimeSpan.FromMinutes(5), TimeSpan.Zero));
        Assert.Equal(10, more.Count);
        var running = await ListAll(store, new TaskListParams(TaskState.Running, "a"));
        Assert.Superset(more.Select(l => l.Task.Id).ToHashSet(), running.ToHashSet());
        Assert.Equal(expected[TaskState.Pending].Count - 10, (await ListAll(store, new TaskListParams(TaskState.Pending))).Count);
    }

    [Fact]
    public async Task A_layout_newer_than_this_version_is_refused_at_open()
    {
        var prefix = NewPrefix();
        await using (var first = await Open(prefix))
            await first.Multiplexer.GetDatabase().StringSetAsync(first.Keys.Layout, RedisTaskStore.LayoutCurrent + 1);
        var e = await Assert.ThrowsAsync<StoreConfigurationException>(() => Open(prefix));
        Assert.Contains("newer Conveyor", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_store_starts_at_the_current_layout()
    {
        await using var store = await Open(NewPrefix());
        Assert.Equal(RedisTaskStore.LayoutCurrent.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (string?)await store.Multiplexer.GetDatabase().StringGetAsync(store.Keys.Layout));
    }
}
