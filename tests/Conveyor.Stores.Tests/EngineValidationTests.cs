using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

/// <summary>
/// Bad input to every public entry point of the engine is refused with a precise message naming the
/// field, and leaves the store (a real SQLite file) exactly as it was.
/// </summary>
public sealed class EngineValidationTests : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"conveyor-validation-{Guid.NewGuid():N}.db");
    private SqliteTaskStore _store = null!;
    private TaskEngine _engine = null!;

    public Task InitializeAsync()
    {
        _store = new SqliteTaskStore(new SqliteStoreOptions { Path = _path }, TimeProvider.System);
        _engine = new TaskEngine(_store, TimeProvider.System, new TaskLimits { MaxArgsBytes = 1024 });
        return Task.CompletedTask;
    }

    public static TheoryData<string, string, string> BadSubmissions() => new()
    {
        { """{"type":"Fib"}""", "type", "is not a valid task type" },
        { """{"type":"fib!"}""", "type", "is not a valid task type" },
        { """{"type":"fib","queue":"Default Queue"}""", "queue", "is not a valid queue name" },
        { """{"type":"fib","priority":12}""", "priority", "priority must be between 0 and 9" },
        { """{"type":"fib","priority":-1}""", "priority", "priority must be between 0 and 9" },
        { """{"type":"fib","delay":-5}""", "delay", "delay must be between 0" },
        { """{"type":"fib","max_attempts":0}""", "max_attempts", "max_attempts must be between 1" },
        { """{"type":"fib","timeout":0}""", "timeout", "timeout must be more than 0" },
        { """{"type":"fib","idempotency_key":""}""", "idempotency_key", "idempotency_key must be 1 to" },
        { "{\"type\":\"fib\",\"args\":{\"blob\":\"" + new string('x', 2000) + "\"}}", "args", "the limit is 1024" },
    };

    [Theory]
    [MemberData(nameof(BadSubmissions))]
    public async Task A_bad_submission_is_refused_precisely_and_stores_nothing(string json, string field, string message)
    {
        var submission = JsonSerializer.Deserialize<TaskSubmission>(json, Conveyor.Json.ConveyorJson.Options)!;
        var ex = await Assert.ThrowsAsync<ConveyorValidationException>(async () => await _engine.Submit(submission));
        var error = Assert.Single(ex.Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        await AssertStoreEmpty();
    }

    [Fact]
    public async Task One_bad_task_in_a_batch_rejects_the_whole_batch()
    {
        var good = new TaskSubmission { Type = "noop" };
        var ex = await Assert.ThrowsAsync<ConveyorValidationException>(async () =>
            await _engine.SubmitMany([good, good with { Priority = 12 }, good]));
        Assert.Equal("tasks[1].priority", Assert.Single(ex.Errors).Field);
        await AssertStoreEmpty();
    }

    [Fact]
    public async Task Bad_lease_and_admin_requests_are_refused_and_change_nothing()
    {
        var task = (await _engine.Submit(new TaskSubmission { Type = "noop" })).Task;
        var before = await _store.TaskGet(task.Id);

        await AssertRefused("queues", () => _engine.Lease(new TaskLeaseParams("w", ["Bad Queue"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)).AsTask());
        await AssertRefused("max", () => _engine.Lease(new TaskLeaseParams("w", ["default"], 0, TimeSpan.FromSeconds(30), TimeSpan.Zero)).AsTask());
        await AssertRefused("lease_duration", () => _engine.Lease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.Zero, TimeSpan.Zero)).AsTask());
        await AssertRefused("wait", () => _engine.Lease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(-1))).AsTask());
        await AssertRefused("queue", () => _engine.QueuePause("UPPER").AsTask());
        await AssertRefused("limit", () => _engine.List(new TaskListParams(Limit: 5000)).AsTask());
        await AssertRefused("cursor", () => _engine.List(new TaskListParams(Cursor: "not-a-cursor")).AsTask());
        await AssertRefused("timeout", () => _engine.Wait(task.Id, TimeSpan.FromHours(1)).AsTask());

        var after = await _store.TaskGet(task.Id);
        Assert.Equal(JsonSerializer.Serialize(before, Conveyor.Json.ConveyorJson.Options), JsonSerializer.Serialize(after, Conveyor.Json.ConveyorJson.Options));
        Assert.False((await _store.QueueList()).Single().Paused);
    }

    private static async Task AssertRefused(string field, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<ConveyorValidationException>(call);
        Assert.Contains(ex.Errors, e => e.Field == field);
    }

    private async Task AssertStoreEmpty()
    {
        Assert.Empty((await _store.TaskList(new TaskListParams(Limit: 10))).Items);
        Assert.All(await _store.QueueList(), q => Assert.Equal(0, q.Pending + q.Scheduled + q.Running + q.Succeeded + q.Failed + q.Cancelled));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
            if (File.Exists(f)) File.Delete(f);
    }
}
