using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

/// <summary>
/// The store contract suites (DESIGN §4): the same semantics, run against every <see cref="ITaskStore"/>,
/// cut along the seam's parts: <see cref="TaskDeliveryConformanceTests"/> (enqueue, lease, acks, pause),
/// <see cref="TaskRecordsConformanceTests"/> (get, list, search, wait, cancel, dead letters, counts,
/// history, events, retention), <see cref="WorkerRegistryConformanceTests"/>, and
/// <see cref="TaskStoreConformanceTests"/> for what spans the parts (readiness, telemetry). A store is
/// done when its subclass of each passes; a delivery paired with another system's records (RabbitMQ with
/// Redis) runs every suite on the pair. Subclass it, implement <see cref="CreateStore"/> (a fresh,
/// empty store that reads "now" from the given clock), and override a capability switch only when the
/// store truly differs. Tests own the store they create and dispose it.
/// Time is fake (<see cref="FakeTimeProvider"/>): a test moves the clock instead of sleeping; real time
/// appears only as a guard (how long to wait for something that must happen at once).
/// <code>
/// public sealed class RedisDeliveryConformanceTests(RedisFixture redis) : TaskDeliveryConformanceTests
/// {
///     protected override ValueTask&lt;ITaskStore&gt; CreateStore(FakeTimeProvider time) =&gt; redis.NewStore(time); // fresh key prefix per call
///     protected override TimeSpan TimePrecision =&gt; TimeSpan.FromMilliseconds(1);               // when times are kept in ms
/// }
/// </code>
/// </summary>
public abstract class StoreConformanceBase
{
    /// <summary>The fake clock starts here (whole milliseconds, far from any real clock).</summary>
    protected static readonly DateTimeOffset Start = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>How long a test waits in real time for something that must happen "at once".</summary>
    protected static readonly TimeSpan Guard = TimeSpan.FromSeconds(15);

    protected static readonly TimeSpan LeaseFor = TimeSpan.FromSeconds(30);

    /// <summary>A fresh, empty store on <paramref name="time"/>.</summary>
    protected abstract ValueTask<ITaskStore> CreateStore(FakeTimeProvider time);

    /// <summary>Capability: the finest time the store keeps (times it returns may be rounded down to this).</summary>
    protected virtual TimeSpan TimePrecision => TimeSpan.FromTicks(1);

    protected static FakeTimeProvider NewClock() => new(Start);

    protected static TaskRecord NewTask(
        FakeTimeProvider time, string type = "test.noop", string queue = "default", int priority = 0, TimeSpan? delay = null,
        int maxAttempts = 5, BackoffPolicy? backoff = null, string? key = null, string args = "{\"n\":1}") =>
        TaskValidator.Build(new TaskSubmission
        {
            Type = type,
            Queue = queue,
            Priority = priority,
            Delay = delay,
            MaxAttempts = maxAttempts,
            Backoff = backoff,
            IdempotencyKey = key,
            Args = JsonDocument.Parse(args).RootElement.Clone(),
            Metadata = new Dictionary<string, string> { ["tag"] = "conformance" },
        }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    protected static async Task<TaskRecord> Enqueue(ITaskStore store, TaskRecord task)
    {
        var results = await store.TaskEnqueueMany([task]);
        Assert.Single(results);
        return results[0].Task;
    }

    protected static async Task<List<TaskRecord>> EnqueueMany(ITaskStore store, FakeTimeProvider time, int count, string queue = "default", int priority = 0)
    {
        var tasks = Enumerable.Range(0, count).Select(_ => NewTask(time, queue: queue, priority: priority)).ToList();
        var results = await store.TaskEnqueueMany(tasks);
        Assert.All(results, r => Assert.True(r.Created));
        return results.Select(r => r.Task).ToList();
    }

    protected static TaskLeaseParams LeaseParams(int max = 1, string worker = "worker-1", TimeSpan? wait = null, params string[] queues) =>
        new(worker, queues.Length == 0 ? ["default"] : queues, max, LeaseFor, wait ?? TimeSpan.Zero);

    protected static async Task<IReadOnlyList<LeasedTask>> LeaseNow(ITaskStore store, int max = 1, params string[] queues) =>
        await store.TaskLease(LeaseParams(max, queues: queues));

    protected static async Task<LeasedTask> LeaseOne(ITaskStore store, params string[] queues)
    {
        var leased = await LeaseNow(store, 1, queues);
        return Assert.Single(leased);
    }

    protected static async Task<TaskRecord> Get(ITaskStore store, string id) =>
        await store.TaskGet(id) ?? throw new Xunit.Sdk.XunitException($"task {id} is missing");

    /// <summary>The whole record as JSON: two snapshots are equal when nothing at all changed.</summary>
    protected static string Snapshot(TaskRecord? task) => JsonSerializer.Serialize(task, ConveyorJson.Options);

    protected void AssertTime(DateTimeOffset expected, DateTimeOffset? actual)
    {
        Assert.NotNull(actual);
        var diff = (expected - actual.Value).Duration();
        Assert.True(diff < TimePrecision || diff == TimeSpan.Zero, $"expected {expected:O}, got {actual.Value:O}");
    }

    protected static TaskFailParams Failure(LeasedTask l, bool retry = true, TimeSpan? delay = null) =>
        new(l.Task.Id, l.LeaseToken, new TaskError("TestError", "it broke", "detail"), retry, delay);

    /// <summary>
    /// Capability: the same store opened again after <paramref name="old"/> was disposed (a restart), or
    /// null when the store cannot outlive its instance (":memory:").
    /// </summary>
    protected virtual ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => ValueTask.FromResult<ITaskStore?>(null);
}
