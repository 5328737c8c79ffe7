using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Api;

public sealed class AdminRoutesTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task Queues_count_by_state_and_a_paused_queue_leases_nothing_until_resumed()
    {
        await broker.PostOk("/api/v1/tasks", """{"type":"x","queue":"mail"}""");
        await broker.PostOk("/api/v1/tasks", """{"type":"x","queue":"mail"}""");
        var queues = (await broker.GetOk("/api/v1/queues")).GetProperty("queues");
        var mail = queues.EnumerateArray().Single(q => q.GetProperty("name").GetString() == "mail");
        Assert.Equal(2, mail.GetProperty("pending").GetInt64());

        var paused = await broker.PostOk("/api/v1/queues/mail/pause", "");
        Assert.True(paused.GetProperty("paused").GetBoolean());
        var none = await broker.PostOk("/api/v1/leases", """{"worker_id":"w","queues":["mail"],"max":5}""");
        Assert.Equal(0, none.GetProperty("tasks").GetArrayLength());

        var resumed = await broker.PostOk("/api/v1/queues/mail/resume", "");
        Assert.False(resumed.GetProperty("paused").GetBoolean());
        var some = await broker.PostOk("/api/v1/leases", """{"worker_id":"w","queues":["mail"],"max":5}""");
        Assert.Equal(2, some.GetProperty("tasks").GetArrayLength());
        var first = some.GetProperty("tasks")[0];
        await broker.PostOk($"/api/v1/tasks/{first.GetProperty("task").GetProperty("id").GetString()}/complete",
            $$"""{"lease_token":"{{first.GetProperty("lease_token").GetString()}}"}""");
        var after = (await broker.GetOk("/api/v1/queues")).GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "mail");
        Assert.Equal(1, after.GetProperty("succeeded").GetInt64());
        Assert.Equal(1, after.GetProperty("running").GetInt64());
        Assert.Equal(1, after.GetProperty("succeeded_per_minute").GetInt64());
        Assert.Equal(0, after.GetProperty("failed_per_minute").GetInt64());

        using var bad = await broker.Post("/api/v1/queues/Not%20Valid/pause", "");
        await Problems.Assert(bad, HttpStatusCode.BadRequest, ProblemTypes.Validation, "queue");
    }

    [Fact]
    public async Task Dead_letters_list_retry_one_retry_all_and_delete()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await broker.PostOk("/api/v1/tasks", """{"type":"doomed","queue":"dl"}""");
            var (id, token, _) = await broker.LeaseOne("dl");
            await broker.PostOk($"/api/v1/tasks/{id}/fail", $$"""{"lease_token":"{{token}}","error":{"type":"x","message":"boom"},"retry":false}""");
            ids.Add(id);
        }
        var dead = await broker.GetOk("/api/v1/dead-letters?queue=dl");
        Assert.Equal(3, dead.GetProperty("items").GetArrayLength());

        Assert.Equal(1, (await broker.PostOk($"/api/v1/dead-letters/{ids[0]}/retry", "")).GetProperty("count").GetInt32());
        Assert.Equal("pending", (await broker.GetOk($"/api/v1/tasks/{ids[0]}")).GetProperty("state").GetString());
        using var again = await broker.Post($"/api/v1/dead-letters/{ids[0]}/retry", "");
        await Problems.Assert(again, HttpStatusCode.NotFound, ProblemTypes.NotFound);

        using var deleted = await broker.Http.DeleteAsync($"/api/v1/dead-letters/{ids[1]}");
        Assert.Equal(1, (await Broker.Body(deleted, expectSuccess: true)).GetProperty("count").GetInt32());
        using var gone = await broker.Http.GetAsync($"/api/v1/tasks/{ids[1]}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        Assert.Equal(1, (await broker.PostOk("/api/v1/dead-letters/retry?queue=dl", "")).GetProperty("count").GetInt32());
        Assert.Equal(0, (await broker.GetOk("/api/v1/dead-letters")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Workers_register_by_heartbeat_are_listed_and_removed()
    {
        // The body of a worker from before announcements (no types, no running list) is still accepted.
        using var beat = await broker.Post("/api/v1/workers/heartbeat", """{"id":"w-1","host":"box","pid":42,"queues":["default"],"concurrency":4,"processed":7}""");
        Assert.Equal(HttpStatusCode.OK, beat.StatusCode);
        Assert.Equal("none", (await Broker.Body(beat)).GetProperty("command").GetString());
        var workers = (await broker.GetOk("/api/v1/workers")).GetProperty("workers");
        var w = workers.EnumerateArray().Single();
        Assert.Equal("w-1", w.GetProperty("id").GetString());
        Assert.Equal(4, w.GetProperty("concurrency").GetInt32());
        Assert.Equal(7, w.GetProperty("processed").GetInt64());

        using var removed = await broker.Http.DeleteAsync("/api/v1/workers/w-1");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(0, (await broker.GetOk("/api/v1/workers")).GetProperty("workers").GetArrayLength());

        using var bad = await broker.Post("/api/v1/workers/heartbeat", """{"id":"w-2","host":"box","queues":["BAD"]}""");
        await Problems.Assert(bad, HttpStatusCode.BadRequest, ProblemTypes.Validation, "queues");
    }

    [Fact]
    public async Task Events_stream_delivers_task_state_changes_and_stats()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await broker.Http.GetAsync("/api/v1/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"watched"}""")).GetProperty("id").GetString()!;

        bool sawTask = false, sawStats = false;
        string? ev = null;
        while (!(sawTask && sawStats))
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException();
            if (line.StartsWith("event: ", StringComparison.Ordinal)) ev = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && ev == "task" && line.Contains(id, StringComparison.Ordinal))
            {
                Assert.Contains("\"state\":\"pending\"", line, StringComparison.Ordinal);
                sawTask = true;
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && ev == "stats")
            {
                Assert.Contains("\"queues\"", line, StringComparison.Ordinal);
                sawStats = true;
            }
        }
    }

    [Fact]
    public async Task Readiness_is_503_when_the_store_does_not_answer()
    {
        await broker.Engine.Store.DisposeAsync();
        using var response = await broker.Http.GetAsync("/readyz");
        var body = await Broker.Body(response);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("unavailable", body.GetProperty("status").GetString());
        Assert.Equal("ok", (await broker.GetOk("/healthz")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_readiness_and_metrics_answer()
    {
        Assert.Equal("ok", (await broker.GetOk("/healthz")).GetProperty("status").GetString());
        var ready = await broker.GetOk("/readyz");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("sqlite", ready.GetProperty("store").GetString());

        await broker.PostOk("/api/v1/tasks", """{"type":"counted"}""");
        var text = await broker.Http.GetStringAsync("/metrics");
        Assert.Contains("conveyor_tasks_submitted_total", text, StringComparison.Ordinal);
        Assert.Contains("conveyor_workers_live", text, StringComparison.Ordinal);
    }
}
