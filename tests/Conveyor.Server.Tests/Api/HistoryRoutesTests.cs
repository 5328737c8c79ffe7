using System.Net;
using Conveyor.Client;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Server.Tests.Api;

/// <summary>HistoryList (GET /api/v1/history) and the dashboard fields of QueueList (oldest_pending_at, workers).</summary>
public sealed class HistoryRoutesTests : IAsyncLifetime
{
    // Fake time, mid-minute: the outcomes and the read fall in one known minute.
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 30, TimeSpan.Zero));
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start(time: time);
    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task History_counts_outcomes_per_minute_oldest_first_with_zeros()
    {
        for (var i = 0; i < 2; i++) await broker.PostOk("/api/v1/tasks", """{"type":"x","queue":"hq","max_attempts":1}""");
        var (id1, token1, _) = await broker.LeaseOne("hq");
        await broker.PostOk($"/api/v1/tasks/{id1}/complete", $$"""{"lease_token":"{{token1}}"}""");
        var (id2, token2, _) = await broker.LeaseOne("hq");
        await broker.PostOk($"/api/v1/tasks/{id2}/fail", $$$"""{"lease_token":"{{{token2}}}","error":{"type":"x","message":"boom"}}""");

        var buckets = (await broker.GetOk("/api/v1/history?queue=hq&minutes=3")).GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(3, buckets.Count);
        Assert.Equal(["2030-01-02T03:02:00+00:00", "2030-01-02T03:03:00+00:00", "2030-01-02T03:04:00+00:00"],
            buckets.Select(b => b.GetProperty("at").GetDateTimeOffset().ToString("yyyy-MM-ddTHH:mm:sszzz")));
        Assert.Equal([(0L, 0L), (0, 0), (1, 1)], buckets.Select(b => (b.GetProperty("succeeded").GetInt64(), b.GetProperty("failed").GetInt64())));

        // Default window: 60 minutes, of every queue; an unknown queue is zeros.
        var all = (await broker.GetOk("/api/v1/history")).GetProperty("buckets");
        Assert.Equal(60, all.GetArrayLength());
        Assert.Equal(1, all[59].GetProperty("succeeded").GetInt64());
        var unknown = (await broker.GetOk("/api/v1/history?queue=nobody&minutes=10080")).GetProperty("buckets");
        Assert.Equal(10_080, unknown.GetArrayLength());
        Assert.All(unknown.EnumerateArray(), b => Assert.Equal(0, b.GetProperty("succeeded").GetInt64() + b.GetProperty("failed").GetInt64()));

        // The .NET client reads the same.
        var client = new ConveyorClient(broker.Client(null));
        Assert.Equal([0L, 1L], (await client.HistoryList("hq", 2)).Select(b => b.Succeeded));
    }

    [Theory]
    [InlineData("minutes=0", "minutes")]
    [InlineData("minutes=10081", "minutes")]
    [InlineData("minutes=abc", "minutes")]
    [InlineData("queue=Not%20Valid", "queue")]
    public async Task History_refuses_bad_input_with_a_problem(string query, string field)
    {
        using var response = await broker.Http.GetAsync($"/api/v1/history?{query}");
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, field);
    }

    [Fact]
    public async Task Queues_show_the_oldest_pending_task_and_how_many_live_workers_consume_each()
    {
        await broker.PostOk("/api/v1/tasks", """{"type":"x","queue":"waiting"}""");
        time.Advance(TimeSpan.FromSeconds(5));
        await broker.PostOk("/api/v1/tasks", """{"type":"x","queue":"waiting"}""");
        await broker.PostOk("/api/v1/tasks", """{"type":"x","queue":"served","delay":60}""");
        using (var hb = await broker.Post("/api/v1/workers/heartbeat", """{"id":"w1","host":"h","pid":1,"queues":["served","other"],"concurrency":1}"""))
            Assert.Equal(HttpStatusCode.OK, hb.StatusCode); // the heartbeat answers the worker's command
        var queues = (await broker.GetOk("/api/v1/queues")).GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 30, TimeSpan.Zero), queues["waiting"].GetProperty("oldest_pending_at").GetDateTimeOffset());
        Assert.Equal(0, queues["waiting"].GetProperty("workers").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, queues["served"].GetProperty("oldest_pending_at").ValueKind);
        Assert.Equal(1, queues["served"].GetProperty("workers").GetInt32());
    }
}
