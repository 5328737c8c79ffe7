using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.RabbitMq;
using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;
using RabbitMQ.Client;

namespace Conveyor.Stores.Tests.RabbitMq;

/// <summary>
/// What limits and expiry add on RabbitMQ, on the real server (the shared suites prove the contract):
/// an over-limit task is parked in the records and its message acknowledged, then published again when
/// its slot frees or its rate window reopens; a duplicate or redelivered message never runs a parked task
/// twice; limits hold across brokers; an expired
/// task's message delivered later is spent and the task never runs.
/// </summary>
[Collection(RabbitMqConformanceCollection.Name)]
public sealed class RabbitMqFlowControlTests(RabbitMqFixture rabbit) : RabbitMqServerTests(rabbit, "f")
{
    private static TaskRecord ForTenant(FakeTimeProvider time, string tenant, TimeSpan? ttl = null) =>
        TaskValidator.Build(new TaskSubmission
        {
            Type = "test.noop", Queue = "default", Ttl = ttl,
            Args = JsonDocument.Parse("{}").RootElement.Clone(),
            Metadata = new Dictionary<string, string> { ["tenant"] = tenant },
        }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    private static long Waiting(IReadOnlyList<QueueLimitInfo> limits, string key) =>
        Assert.Single(Assert.Single(limits).Usage, u => u.Key == key).Waiting;

    [Fact]
    public async Task A_parked_task_s_message_is_acked_and_the_task_is_published_again_when_its_slot_frees()
    {
        var time = NewClock();
        await using var store = await Open(time);
        await store.QueueLimitSet("default", new QueueLimit("one", "metadata.tenant", Concurrency: 1));
        var first = await Enqueue(store, ForTenant(time, "a"));
        var second = await Enqueue(store, ForTenant(time, "a"));
        Assert.Equal(2u, await MessagesIn(RabbitQueue));

        var running = await LeaseOne(store);
        Assert.Equal(first.Id, running.Task.Id);
        Assert.Empty(await LeaseNow(store, 5));
        // Parked in the records, its message acknowledged: RabbitMQ holds nothing to hand round.
        Assert.Equal(0u, await MessagesIn(RabbitQueue));
        Assert.Equal(TaskState.Pending, (await Get(store, second.Id)).State);
        Assert.Equal(1, Waiting(await store.QueueLimitList("default"), "a"));
        Assert.Equal(0, await store.OutboxSweep()); // parked: not in the outbox

        // A duplicate message of the parked task (a sweep racing a publish) is spent, not run.
        await using (var ch = await Amqp.CreateChannelAsync())
            await ch.BasicPublishAsync("", RabbitQueue, Encoding.UTF8.GetBytes(second.Id));
        Assert.Empty(await LeaseNow(store, 5));
        Assert.Equal(0u, await MessagesIn(RabbitQueue));
        Assert.Equal(1, Waiting(await store.QueueLimitList("default"), "a"));

        // The slot frees: the parked task re-enters ready with a fresh seq, so the outbox publishes it once.
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(first.Id, running.LeaseToken, null)])).Outcome);
        Assert.Equal(1, await store.OutboxSweep());
        Assert.Equal(1u, await MessagesIn(RabbitQueue));
        Assert.Equal(0, await store.OutboxSweep());
        var next = await LeaseOne(store);
        Assert.Equal(second.Id, next.Task.Id);
        Assert.Equal(1, next.Task.Attempt);
        Assert.Equal(0, Waiting(await store.QueueLimitList("default"), "a"));
    }

    [Fact]
    public async Task A_parked_task_whose_message_came_back_runs_once()
    {
        var time = NewClock();
        await using var store = await Open(time);
        await store.QueueLimitSet("default", new QueueLimit("one", "metadata.tenant", Concurrency: 1));
        var first = await Enqueue(store, ForTenant(time, "a"));
        var second = await Enqueue(store, ForTenant(time, "a"));
        var running = await LeaseOne(store);
        // A broker takes the second message, the records park its task, and the broker dies before its ack.
        await using (var ch = await Amqp.CreateChannelAsync())
        {
            var got = await ch.BasicGetAsync(RabbitQueue, autoAck: false);
            Assert.Equal(second.Id, Encoding.UTF8.GetString(got!.Body.Span));
            await using var records = await RecordsOnly(time);
            Assert.Null(Assert.Single((await records.TaskLeaseByIds(new TaskLeaseByIdsParams("default", [second.Id], "dying", LeaseFor))).Leased));
        }
        Assert.Equal(1u, await MessagesIn(RabbitQueue)); // handed back, unacknowledged
        Assert.Empty(await LeaseNow(store, 5)); // spent: the task is parked, not ready
        Assert.Equal(0u, await MessagesIn(RabbitQueue));
        await store.TaskCompleteMany([new(first.Id, running.LeaseToken, null)]);
        var next = await LeaseOne(store);
        Assert.Equal(second.Id, next.Task.Id);
        Assert.Equal(1, next.Task.Attempt);
        await store.TaskCompleteMany([new(second.Id, next.LeaseToken, null)]);
        Assert.Empty(await LeaseNow(store, 5));
        Assert.Equal(TaskState.Succeeded, (await Get(store, second.Id)).State);
    }

    [Fact]
    public async Task The_maintenance_sweep_publishes_a_rate_limited_task_when_its_window_reopens()
    {
        var time = NewClock();
        await using var store = await Open(time);
        await store.QueueLimitSet("default", new QueueLimit("api", "metadata.tenant", Rate: 1, Interval: TimeSpan.FromSeconds(10)));
        await Enqueue(store, ForTenant(time, "a"));
        var second = await Enqueue(store, ForTenant(time, "a"));
        Assert.Single(await LeaseNow(store, 5));
        Assert.Equal(0u, await MessagesIn(RabbitQueue)); // the second is parked, its message spent
        time.Advance(TimeSpan.FromSeconds(9));
        await store.MaintenanceRun(TimeSpan.FromDays(7));
        Assert.Equal(0u, await MessagesIn(RabbitQueue));
        time.Advance(TimeSpan.FromSeconds(1));
        await store.MaintenanceRun(TimeSpan.FromDays(7)); // no leaser: the sweep reopens the window and publishes
        Assert.Equal(1u, await MessagesIn(RabbitQueue));
        Assert.Equal(second.Id, (await LeaseOne(store)).Task.Id);
    }

    [Fact]
    public async Task A_blocked_lease_gets_the_parked_task_when_a_dead_lettered_task_frees_the_slot()
    {
        var time = NewClock();
        await using var store = await Open(time);
        await store.QueueLimitSet("default", new QueueLimit("one", "metadata.tenant", Concurrency: 1));
        var first = await Enqueue(store, ForTenant(time, "a"));
        var second = await Enqueue(store, ForTenant(time, "a"));
        var running = await LeaseOne(store);
        var waiting = store.TaskLease(LeaseParams(wait: TimeSpan.FromSeconds(30))).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        // The fake clock never moves and no sweep runs: the records wake the leaser, whose sweep publishes the parked task.
        var failed = Assert.Single(await store.TaskFailMany([new(first.Id, running.LeaseToken, new TaskError("E", "boom"), Retry: false)]));
        Assert.Equal(TaskState.Failed, failed.State);
        Assert.Equal(second.Id, Assert.Single(await waiting.WaitAsync(Guard)).Task.Id);
    }

    [Fact]
    public async Task A_released_task_gives_its_slot_back_and_the_parked_one_is_published()
    {
        var time = NewClock();
        await using var store = await Open(time);
        await store.QueueLimitSet("default", new QueueLimit("one", "metadata.tenant", Concurrency: 1));
        var first = await Enqueue(store, ForTenant(time, "a"));
        var second = await Enqueue(store, ForTenant(time, "a"));
        var running = await LeaseOne(store);
        Assert.Empty(await LeaseNow(store, 5));
        await store.TaskReleaseMany([new(first.Id, running.LeaseToken)]); // published at once, both
        Assert.Equal(2u, await MessagesIn(RabbitQueue));
        var leased = await LeaseNow(store, 5);
        Assert.Equal(first.Id, Assert.Single(leased).Task.Id); // one slot: the other is parked again
        Assert.Equal(0u, await MessagesIn(RabbitQueue));
        Assert.Equal(TaskState.Pending, (await Get(store, second.Id)).State);
    }

    [Fact]
    public async Task A_concurrency_limit_holds_across_two_brokers_leasing_at_once()
    {
        var time = NewClock();
        await using var a = await Open(time);
        await using var b = await Open(time);
        await a.QueueLimitSet("default", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 2));
        var tenants = new[] { "t1", "t2", "t3" };
        Assert.All(await a.TaskEnqueueMany([.. tenants.SelectMany(t => Enumerable.Range(0, 20).Select(_ => ForTenant(time, t)))]), r => Assert.True(r.Created));
        var running = new ConcurrentDictionary<string, int>();
        var worst = new ConcurrentDictionary<string, int>();
        var ran = new ConcurrentDictionary<string, int>();
        var done = 0;
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var store = w % 2 == 0 ? a : b;
            while (Volatile.Read(ref done) < 60 && !guard.IsCancellationRequested)
            {
                var leased = await store.TaskLease(LeaseParams(2, "w" + w, TimeSpan.Zero), guard.Token);
                if (leased.Count == 0) { await Task.Delay(1, guard.Token); continue; }
                foreach (var l in leased)
                {
                    var now = running.AddOrUpdate(l.Task.Metadata["tenant"], 1, (_, n) => n + 1);
                    worst.AddOrUpdate(l.Task.Metadata["tenant"], now, (_, n) => Math.Max(n, now));
                    ran.AddOrUpdate(l.Task.Id, 1, (_, n) => n + 1);
                }
                await Task.Yield();
                foreach (var l in leased)
                {
                    running.AddOrUpdate(l.Task.Metadata["tenant"], 0, (_, n) => n - 1);
                    Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(l.Task.Id, l.LeaseToken, null)])).Outcome);
                    Interlocked.Increment(ref done);
                }
            }
        })));
        Assert.Equal(60, done);
        Assert.Equal(60, ran.Count); // every task ran, none twice
        Assert.All(ran.Values, n => Assert.Equal(1, n));
        Assert.All(tenants, t => Assert.InRange(worst[t], 1, 2));
        Assert.Equal(0u, await MessagesIn(RabbitQueue));
    }

    [Fact]
    public async Task An_expired_task_s_message_delivered_later_is_spent_and_the_task_never_runs()
    {
        var time = NewClock();
        await using var store = await Open(time);
        var expiring = await Enqueue(store, ForTenant(time, "a", ttl: TimeSpan.FromSeconds(10)));
        var plain = await Enqueue(store, ForTenant(time, "a"));
        Assert.Equal(2u, await MessagesIn(RabbitQueue));
        time.Advance(TimeSpan.FromSeconds(11));
        // The maintenance sweep ends it while its message still waits in RabbitMQ.
        await store.MaintenanceRun(TimeSpan.FromDays(7));
        Assert.Equal(TaskState.Expired, (await Get(store, expiring.Id)).State);
        Assert.Equal(2u, await MessagesIn(RabbitQueue));
        var leased = await LeaseNow(store, 5);
        Assert.Equal(plain.Id, Assert.Single(leased).Task.Id);
        Assert.Equal(0u, await MessagesIn(RabbitQueue)); // the expired task's message was acknowledged, spent
        var t = await Get(store, expiring.Id);
        Assert.Equal(TaskState.Expired, t.State);
        Assert.Equal(0, t.Attempt);
    }

    [Fact]
    public async Task TaskLeaseByIds_ends_an_expired_task_instead_of_leasing_it()
    {
        var time = NewClock();
        await using var store = await Open(time);
        var expiring = await Enqueue(store, ForTenant(time, "a", ttl: TimeSpan.FromSeconds(10)));
        time.Advance(TimeSpan.FromSeconds(11));
        // No sweep, no OutboxTake: the lease by id itself (a broker holding the message from before) decides.
        await using var records = await RecordsOnly(time);
        var answer = await records.TaskLeaseByIds(new TaskLeaseByIdsParams("default", [expiring.Id], "w", LeaseFor));
        Assert.False(answer.Paused);
        Assert.Null(Assert.Single(answer.Leased));
        var t = await Get(store, expiring.Id);
        Assert.Equal(TaskState.Expired, t.State);
        Assert.Equal("expired", t.Error?.Type);
    }
}
