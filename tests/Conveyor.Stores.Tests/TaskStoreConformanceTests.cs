using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

/// <summary>
/// The store contract suite (DESIGN §4): the same semantics, run against every <see cref="ITaskStore"/>.
/// A store is done when its subclass passes. Subclass it, implement <see cref="CreateStore"/> (a fresh,
/// empty store that reads "now" from the given clock), and override a capability switch only when the
/// store truly differs. Tests own the store they create and dispose it.
/// Time is fake (<see cref="FakeTimeProvider"/>): a test moves the clock instead of sleeping; real time
/// appears only as a guard (how long to wait for something that must happen at once).
/// </summary>
public abstract partial class TaskStoreConformanceTests
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

    [Fact]
    public async Task Ping_answers_true()
    {
        await using var store = await CreateStore(NewClock());
        Assert.True(await store.Ping());
        Assert.False(string.IsNullOrWhiteSpace(store.Name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("k-1")]
    public async Task TaskEnqueueMany_stores_every_field_and_TaskGet_reads_it_back(string? key)
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = NewTask(time, type: "email.send", queue: "mail", priority: 7, maxAttempts: 3,
            backoff: BackoffPolicy.FixedDelay(TimeSpan.FromSeconds(5)), key: key, args: "{\"to\":\"a@b.c\",\"n\":[1,2.5],\"s\":\"\u00e9\\\"q\"}");
        var results = await store.TaskEnqueueMany([task, NewTask(time, args: "\"just a string\"")]);
        Assert.All(results, r => Assert.True(r.Created));
        var got = await Get(store, task.Id);
        Assert.Equal(TaskState.Pending, got.State);
        Assert.Equal(("email.send", "mail", 7, 3, 0), (got.Type, got.Queue, got.Priority, got.MaxAttempts, got.Attempt));
        Assert.Equal(task.Backoff, got.Backoff);
        Assert.Equal(task.Timeout, got.Timeout);
        Assert.Equal(key, got.IdempotencyKey);
        Assert.Equal("conformance", got.Metadata["tag"]);
        Assert.Equal("a@b.c", got.Args.GetProperty("to").GetString());
        Assert.Equal(2.5, got.Args.GetProperty("n")[1].GetDouble());
        Assert.Equal("\u00e9\"q", got.Args.GetProperty("s").GetString());
        Assert.Equal("just a string", (await Get(store, results[1].Task.Id)).Args.GetString());
        AssertTime(Start, got.CreatedAt);
        AssertTime(Start, got.ScheduledFor);
        Assert.Empty(got.Attempts);
        Assert.Null(got.Result);
        Assert.Null(got.Error);
        Assert.Null(got.Progress);
        Assert.Null(await store.TaskGet(TaskIds.New(time)));
    }

    [Fact]
    public async Task TaskEnqueueMany_keeps_input_order_in_results()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var tasks = Enumerable.Range(0, 20).Select(i => NewTask(time, type: $"t{i}")).ToList();
        var results = await store.TaskEnqueueMany(tasks);
        Assert.Equal(tasks.Select(t => t.Id), results.Select(r => r.Task.Id));
    }
}
