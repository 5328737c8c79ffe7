using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>What only the Redis store must prove: scripts by SHA, one slot per queue, cross-process wake-ups.</summary>
public sealed class RedisStoreTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private Task<RedisTaskStore> Open(string prefix, bool sharded = false) =>
        RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = prefix, TimeProvider = _time, ShardedPubSub = sharded });

    private static string NewPrefix() => "r" + Guid.NewGuid().ToString("N")[..12];

    private TaskRecord NewTask(string queue = "default") => TaskValidator.Build(
        new TaskSubmission { Type = "test.noop", Queue = queue, Args = JsonDocument.Parse("{}").RootElement.Clone() },
        TaskIds.New(_time), _time.GetUtcNow(), TaskLimits.Default);

    private long CommandCalls(string command)
    {
        var info = redis.Command("INFO commandstats");
        var m = Regex.Match(info, $@"cmdstat_{command}:calls=(\d+)");
        return m.Success ? long.Parse(m.Groups[1].Value) : 0;
    }

    [Fact]
    public async Task Scripts_are_called_by_sha_and_reloaded_after_SCRIPT_FLUSH()
    {
        await using var store = await Open(NewPrefix());
        await store.TaskEnqueueMany([NewTask()]); // loads TaskEnqueueMany on the server if it was not yet
        Assert.StartsWith("+OK", redis.Command("CONFIG RESETSTAT"));
        for (var i = 0; i < 20; i++) await store.TaskEnqueueMany([NewTask()]);
        Assert.True(CommandCalls("evalsha") >= 20, redis.Command("INFO commandstats"));
        Assert.Equal(0, CommandCalls("eval"));

        Assert.StartsWith("+OK", redis.Command("SCRIPT FLUSH"));
        for (var i = 0; i < 20; i++) await store.TaskEnqueueMany([NewTask()]);
        // NOSCRIPT once, the body sent once with EVAL, then back to EVALSHA.
        Assert.Equal(1, CommandCalls("eval"));
        Assert.True(CommandCalls("evalsha") >= 40);
        var leased = await store.TaskLease(new TaskLeaseParams("w", ["default"], 100, TimeSpan.FromSeconds(30), TimeSpan.Zero));
        Assert.Equal(41, leased.Count);
    }

    [Fact]
    public async Task Every_key_of_a_queue_hashes_to_one_cluster_slot()
    {
        Assert.Equal(0x31C3, ClusterSlot.Crc16("123456789"u8)); // the reference vector of the cluster spec
        var keys = new RedisKeys(NewPrefix());
        foreach (var queue in new[] { "default", "mail", "a.b-c_d" })
        {
            var q = keys.Queue(queue);
            var slot = ClusterSlot.Of(q.Task(TaskIds.New(_time))!);
            Assert.All(q.Fixed, k => Assert.Equal(slot, ClusterSlot.Of(k!)));
        }
        Assert.NotEqual(ClusterSlot.Of(keys.Queue("a").Ready!), ClusterSlot.Of(keys.Queue("b").Ready!));
    }

    [Fact]
    public void No_script_uses_KEYS_or_an_unbounded_scan()
    {
        var banned = new Regex(@"redis\.call\(\s*[""'](KEYS|SCAN|HSCAN|SSCAN|ZSCAN)[""']", RegexOptions.IgnoreCase);
        foreach (var script in ScriptCatalog.All)
        {
            Assert.DoesNotMatch(banned, script.Body);
            Assert.Contains("KEYS[1]", script.Body); // every script names its keys (and so its slot)
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_blocked_lease_is_woken_by_an_enqueue_through_another_connection(bool sharded)
    {
        var prefix = NewPrefix();
        await using var worker = await Open(prefix, sharded);
        await using var producer = await Open(prefix, sharded);
        var waiting = worker.TaskLease(new TaskLeaseParams("w", ["jobs"], 5, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30))).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        var task = NewTask("jobs");
        await producer.TaskEnqueueMany([task]);
        var leased = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(task.Id, Assert.Single(leased).Task.Id);
    }

    [Fact]
    public async Task TaskWait_is_woken_by_a_completion_through_another_connection()
    {
        var prefix = NewPrefix();
        await using var a = await Open(prefix);
        await using var b = await Open(prefix);
        var task = NewTask();
        await a.TaskEnqueueMany([task]);
        var waiting = a.TaskWait(task.Id, TimeSpan.FromMinutes(1)).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        var lease = Assert.Single(await b.TaskLease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        await b.TaskCompleteMany([new TaskCompleteParams(task.Id, lease.LeaseToken, JsonDocument.Parse("42").RootElement.Clone())]);
        var done = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TaskState.Succeeded, done!.State);
        Assert.Equal(42, done.Result!.Value.GetInt32());
    }

    [Fact]
    public async Task A_retried_enqueue_of_the_same_id_does_not_duplicate()
    {
        await using var store = await Open(NewPrefix());
        var task = NewTask();
        await store.TaskEnqueueMany([task]);
        var again = await store.TaskEnqueueMany([task, task]);
        Assert.All(again, r => Assert.Equal(task.Id, r.Task.Id));
        var info = Assert.Single(await store.QueueList());
        Assert.Equal(1, info.Pending);
        var leased = await store.TaskLease(new TaskLeaseParams("w", ["default"], 10, TimeSpan.FromSeconds(30), TimeSpan.Zero));
        Assert.Single(leased);
    }

    [Fact]
    public async Task Events_from_another_connection_reach_subscribers()
    {
        var prefix = NewPrefix();
        await using var listener = await Open(prefix);
        await using var producer = await Open(prefix);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<TaskEvent>();
        using var sub = listener.EventsSubscribe(seen.Enqueue);
        await Task.Delay(200);
        var task = NewTask("mail");
        await producer.TaskEnqueueMany([task]);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (seen.IsEmpty && DateTime.UtcNow < until) await Task.Delay(20);
        var e = Assert.Single(seen);
        Assert.Equal((task.Id, "mail", "test.noop", TaskState.Pending), (e.TaskId, e.Queue, e.Type, e.State));
    }

    [Fact]
    public async Task Events_reach_a_subscriber_in_the_order_they_were_published()
    {
        await using var listener = await Open(NewPrefix());
        var seen = new System.Collections.Concurrent.ConcurrentQueue<TaskEvent>();
        using var sub = listener.EventsSubscribe(seen.Enqueue);
        await Task.Delay(200);
        // Messages as the scripts publish them, pipelined from another connection so that they reach
        // the subscriber back to back: each task's "pending" then its "running".
        const int n = 500;
        var ids = Enumerable.Range(0, n).Select(i => $"task-{i:D4}").ToList();
        using (var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var channel = RedisChannel.Literal(listener.Keys.Queue("default").EventsChannel);
            var publisher = mux.GetSubscriber();
            var sends = new List<Task>();
            foreach (var id in ids)
            {
                sends.Add(publisher.PublishAsync(channel, $"{id}\tdefault\ttest.noop\tpending\t1000"));
                sends.Add(publisher.PublishAsync(channel, $"{id}\tdefault\ttest.noop\trunning\t1001"));
            }
            await Task.WhenAll(sends);
        }
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (seen.Count < 2 * n && DateTime.UtcNow < until) await Task.Delay(20);

        var expected = ids.SelectMany(id => new[] { (id, TaskState.Pending), (id, TaskState.Running) });
        Assert.Equal(expected, seen.Select(e => (e.TaskId, e.State)));
    }

    [Fact]
    public async Task Retention_removes_every_trace_of_a_finished_task()
    {
        var prefix = NewPrefix();
        await using var store = await Open(prefix);
        var task = NewTask();
        await store.TaskEnqueueMany([task]);
        var lease = Assert.Single(await store.TaskLease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        await store.TaskCompleteMany([new TaskCompleteParams(task.Id, lease.LeaseToken, null)]);
        var q = store.Keys.Queue("default");
        Assert.StartsWith(":1", redis.Command($"EXISTS {q.Task(task.Id)}"));
        _time.Advance(TimeSpan.FromDays(8));
        Assert.Equal(1, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Expired);
        Assert.StartsWith(":0", redis.Command($"EXISTS {q.Task(task.Id)}"));
        Assert.StartsWith(":0", redis.Command($"EXISTS {store.Keys.LegacyTaskIndexFor(task.Id)}")); // memory: no id -> queue index (layout 3)
        foreach (var key in new[] { q.All, q.Done, q.Ready, q.Running })
            Assert.StartsWith(":0", redis.Command($"ZCARD {key}"));
        Assert.Null(await store.TaskGet(task.Id));
    }

    [Fact]
    public async Task A_completed_task_hash_stays_a_listpack_and_reads_its_succeeding_attempt_from_its_fields()
    {
        await using var store = await Open(NewPrefix());
        var task = NewTask();
        await store.TaskEnqueueMany([task]);
        // A worker id as long as real ones (host:pid:random): the history entry it used to add was 84+ bytes,
        // over hash-max-listpack-value (64), and turned every completed task's hash into a hashtable.
        const string worker = "worker-host-name.example:123456:0a1b2c3d";
        var started = _time.GetUtcNow();
        var lease = Assert.Single(await store.TaskLease(new TaskLeaseParams(worker, ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        _time.Advance(TimeSpan.FromMilliseconds(1234));
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new TaskCompleteParams(task.Id, lease.LeaseToken, null)])).Outcome);

        Assert.Contains("listpack", redis.Command($"OBJECT ENCODING {store.Keys.Queue("default").Task(task.Id)}"));
        var done = Assert.IsType<TaskRecord>(await store.TaskGet(task.Id));
        Assert.Equal(TaskState.Succeeded, done.State);
        var attempt = Assert.Single(done.Attempts);
        Assert.Equal(new AttemptRecord(1, worker, started, started.AddMilliseconds(1234), AttemptOutcome.Succeeded), attempt);
    }

    private TaskRecord UnusualTask() => TaskValidator.Build(new TaskSubmission
    {
        Type = "test.spec",
        Args = JsonDocument.Parse("""{"to":"a|b","n":[1,2]}""").RootElement.Clone(),
        Priority = 7,
        MaxAttempts = 9,
        Backoff = new BackoffPolicy(BackoffKind.Fixed, TimeSpan.FromMilliseconds(250), 1.5, TimeSpan.FromSeconds(5)),
        Timeout = TimeSpan.FromSeconds(42),
        // The spec's separators inside the free-text parts: they must come back as they went in.
        IdempotencyKey = "key|with\nnewline|",
        Metadata = new Dictionary<string, string> { ["tenant|x"] = "a\nb|c", ["é"] = "ü" },
    }, TaskIds.New(_time), _time.GetUtcNow(), TaskLimits.Default);

    private static void AssertSameSpec(TaskRecord expected, TaskRecord actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Args.GetRawText(), actual.Args.GetRawText());
        Assert.Equal(expected.Priority, actual.Priority);
        Assert.Equal(expected.MaxAttempts, actual.MaxAttempts);
        Assert.Equal(expected.Backoff, actual.Backoff);
        Assert.Equal(expected.Timeout, actual.Timeout);
        Assert.Equal(expected.IdempotencyKey, actual.IdempotencyKey);
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key), actual.Metadata.OrderBy(p => p.Key));
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.ScheduledFor, actual.ScheduledFor);
    }

    [Fact]
    public async Task The_packed_spec_keeps_every_field_and_a_lease_reads_seven_fields_of_a_fresh_task()
    {
        await using var store = await Open(NewPrefix());
        var task = UnusualTask();
        await store.TaskEnqueueMany([task, NewTask()]);
        var key = store.Keys.Queue("default").Task(task.Id);
        // The fields a task is born with are one value; the nine of the older layout are not there.
        Assert.StartsWith(":1", redis.Command($"HEXISTS {key} sp"));
        foreach (var legacy in new[] { "ma", "bk", "bb", "bf", "bc", "to", "cr", "ik", "md" })
            Assert.StartsWith(":0", redis.Command($"HEXISTS {key} {legacy}"));

        AssertSameSpec(task, Assert.IsType<TaskRecord>(await store.TaskGet(task.Id)));
        var leased = await store.TaskLease(new TaskLeaseParams("w", ["default"], 2, TimeSpan.FromSeconds(30), TimeSpan.Zero));
        Assert.Equal(2, leased.Count);
        var first = leased[0].Task; // priority 7 goes first
        AssertSameSpec(task, first);
        Assert.Equal((TaskState.Running, 1, "w"), (first.State, first.Attempt, first.WorkerId));
        Assert.Equal(first, Assert.IsType<TaskRecord>(await store.TaskGet(task.Id)) with { Attempts = first.Attempts, Metadata = first.Metadata, Args = first.Args });
    }

    [Fact]
    public async Task A_fresh_task_hash_stays_a_listpack_with_a_default_spec()
    {
        await using var store = await Open(NewPrefix());
        var task = NewTask();
        await store.TaskEnqueueMany([task]);
        // 64 bytes is hash-max-listpack-value: a longer spec would turn every hash into a hashtable.
        var spec = redis.Command($"HGET {store.Keys.Queue("default").Task(task.Id)} sp");
        Assert.Matches(@"^\$(\d+)\r\n", spec);
        Assert.InRange(int.Parse(Regex.Match(spec, @"^\$(\d+)").Groups[1].Value), 20, 64);
        Assert.Contains("listpack", redis.Command($"OBJECT ENCODING {store.Keys.Queue("default").Task(task.Id)}"));
    }

    [Fact]
    public async Task Finished_tasks_go_to_the_finish_log_and_retention_drains_it()
    {
        await using var store = await Open(NewPrefix());
        var q = store.Keys.Queue("default");
        var (kept, other) = (NewTask(), NewTask());
        await store.TaskEnqueueMany([kept, other]);
        var leased = await store.TaskLease(new TaskLeaseParams("w", ["default"], 2, TimeSpan.FromSeconds(30), TimeSpan.Zero));
        await store.TaskCompleteMany([.. leased.Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null))]);
        var finished = _time.GetUtcNow().ToUnixTimeMilliseconds();

        // The finish log: (id, finish ms) pairs in a list; nothing goes to the older sorted set.
        Assert.StartsWith("+list", redis.Command($"TYPE {q.Finished}"));
        Assert.StartsWith(":4", redis.Command($"LLEN {q.Finished}"));
        Assert.StartsWith(":0", redis.Command($"EXISTS {q.Done}"));
        Assert.Contains(finished.ToString(), redis.Command($"LINDEX {q.Finished} 1"));

        _time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        Assert.Equal(2, (await store.MaintenanceRun(TimeSpan.FromDays(7))).Expired);
        Assert.Null(await store.TaskGet(kept.Id));
        Assert.Null(await store.TaskGet(other.Id));
        Assert.StartsWith(":0", redis.Command($"EXISTS {q.Finished}"));
    }

    [Fact]
    public async Task Disposing_the_store_ends_a_blocked_lease_with_nothing()
    {
        var store = await Open(NewPrefix());
        var waiting = store.TaskLease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60))).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        await store.DisposeAsync();
        Assert.Empty(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
