using System.Net;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;
using Conveyor.Store;

namespace Conveyor.Server.Tests.Api;

/// <summary>WorkerQuiet, WorkerStop, the heartbeat's answer, silent workers and TaskTypes over real HTTP.</summary>
public sealed class WorkerCommandRoutesTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    private static string Beat(string id, string types = """["fib","sleep"]""", string running = "[]") =>
        $$"""{"id":"{{id}}","host":"box","pid":1,"queues":["default"],"concurrency":2,"types":{{types}},"running":{{running}},"status":"running"}""";

    [Fact]
    public async Task Quiet_and_stop_are_carried_in_the_answer_to_the_next_heartbeat()
    {
        var first = await broker.PostOk("/api/v1/workers/heartbeat", Beat("w-1"));
        Assert.Equal("none", first.GetProperty("command").GetString());
        Assert.Equal(0, first.GetProperty("cancel").GetArrayLength());

        using var quiet = await broker.Post("/api/v1/workers/w-1/quiet", "");
        Assert.Equal(HttpStatusCode.Accepted, quiet.StatusCode);
        Assert.Equal("quiet", (await Broker.Body(quiet)).GetProperty("command").GetString());
        Assert.Equal("quiet", (await broker.PostOk("/api/v1/workers/heartbeat", Beat("w-1"))).GetProperty("command").GetString());

        using var stop = await broker.Post("/api/v1/workers/w-1/stop", "");
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        Assert.Equal("stop", (await broker.PostOk("/api/v1/workers/heartbeat", Beat("w-1"))).GetProperty("command").GetString());

        using var unknown = await broker.Post("/api/v1/workers/nobody/stop", "");
        await Problems.Assert(unknown, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task The_heartbeat_answers_the_running_tasks_whose_cancel_was_requested()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"sleep"}""")).GetProperty("id").GetString()!;
        var (leased, _, task) = await broker.LeaseOne();
        Assert.Equal(id, leased);
        var running = $$"""[{"task_id":"{{id}}","type":"sleep","started_at":"{{task.GetProperty("started_at").GetString()}}","queue":"default"}]""";
        Assert.Equal(0, (await broker.PostOk("/api/v1/workers/heartbeat", Beat("w-1", running: running))).GetProperty("cancel").GetArrayLength());

        await broker.PostOk($"/api/v1/tasks/{id}/cancel", "");
        var answer = await broker.PostOk("/api/v1/workers/heartbeat", Beat("w-1", running: running));
        Assert.Equal([id], answer.GetProperty("cancel").EnumerateArray().Select(e => e.GetString()));

        var listed = (await broker.GetOk("/api/v1/workers")).GetProperty("workers").EnumerateArray().Single();
        Assert.Equal(id, listed.GetProperty("running")[0].GetProperty("task_id").GetString());
        Assert.Equal(["fib", "sleep"], listed.GetProperty("types").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Task_types_count_the_live_workers_that_announce_each_and_the_client_reads_them()
    {
        await broker.PostOk("/api/v1/workers/heartbeat", Beat("w-1", types: """["fib","sleep"]"""));
        await broker.PostOk("/api/v1/workers/heartbeat", Beat("w-2", types: """["fib","email.send"]"""));
        var types = (await broker.GetOk("/api/v1/task-types")).GetProperty("types").EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString(), t.GetProperty("workers").GetInt32())).ToList();
        Assert.Equal([("email.send", 1), ("fib", 2), ("sleep", 1)], types);

        var client = new ConveyorClient(broker.Http);
        Assert.Equal(3, (await client.TaskTypes()).Count);
        var list = await client.WorkerList();
        Assert.Equal(["w-1", "w-2"], list.Workers.Select(w => w.Id));
        Assert.Empty(list.Silent ?? []);
        Assert.Equal(WorkerCommandKind.Quiet, (await client.QuietWorker("w-2")).Command);
        Assert.Equal(WorkerCommandKind.Stop, (await client.StopWorker("w-2")).Command);
        var refused = await Assert.ThrowsAsync<ConveyorApiException>(() => client.StopWorker("nobody"));
        Assert.Equal(404, refused.Status);
    }

    [Fact]
    public async Task A_heartbeat_with_a_bad_announcement_is_refused_and_changes_nothing()
    {
        using var badStatus = await broker.Post("/api/v1/workers/heartbeat", Beat("w-1").Replace("\"running\"}", "\"sleeping\"}"));
        await Problems.Assert(badStatus, HttpStatusCode.BadRequest, ProblemTypes.Validation, "status");
        using var badType = await broker.Post("/api/v1/workers/heartbeat", Beat("w-1", types: """["Not A Type"]"""));
        await Problems.Assert(badType, HttpStatusCode.BadRequest, ProblemTypes.Validation, "types");
        using var badRunning = await broker.Post("/api/v1/workers/heartbeat", Beat("w-1", running: """[{"task_id":"nope","type":"fib","started_at":"2026-01-01T00:00:00Z","queue":"default"}]"""));
        await Problems.Assert(badRunning, HttpStatusCode.BadRequest, ProblemTypes.Validation, "running.task_id");
        Assert.Equal(0, (await broker.GetOk("/api/v1/workers")).GetProperty("workers").GetArrayLength());
    }
}
