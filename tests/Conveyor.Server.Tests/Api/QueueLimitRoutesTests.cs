using System.Net;
using System.Text;
using Conveyor.Client;
using Conveyor.Limits;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Api;

/// <summary>QueueLimitList / QueueLimitSet / QueueLimitDelete (GET /api/v1/queues/{name}/limits, PUT/DELETE …/{limit}), and unique_key on submit.</summary>
public sealed class QueueLimitRoutesTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    private Task<HttpResponseMessage> Put(string path, string json) =>
        broker.Http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task A_limit_set_over_http_holds_at_lease_time_and_shows_its_usage()
    {
        var set = await Broker.Body(await Put("/api/v1/queues/mail/limits/per-tenant", """{"key":"metadata.tenant","concurrency":1}"""), expectSuccess: true);
        Assert.Equal("per-tenant", set.GetProperty("limits")[0].GetProperty("limit").GetProperty("name").GetString());
        for (var i = 0; i < 3; i++)
            await broker.PostOk("/api/v1/tasks", """{"type":"x","queue":"mail","metadata":{"tenant":"acme"}}""");
        var (id, token, _) = await broker.LeaseOne("mail");
        var second = await broker.PostOk("/api/v1/leases", """{"worker_id":"w2","queues":["mail"],"max":10,"wait":0}""");
        Assert.Equal(0, second.GetProperty("tasks").GetArrayLength());

        var list = await broker.GetOk("/api/v1/queues/mail/limits");
        var usage = list.GetProperty("limits")[0].GetProperty("usage")[0];
        Assert.Equal("acme", usage.GetProperty("key").GetString());
        Assert.Equal(1, usage.GetProperty("running").GetInt64());
        Assert.Equal(2, usage.GetProperty("waiting").GetInt64());

        await broker.PostOk($"/api/v1/tasks/{id}/complete", $$"""{"lease_token":"{{token}}"}""");
        await broker.LeaseOne("mail");

        var client = new ConveyorClient(broker.Client(null));
        var after = await client.QueueLimitSet("mail", new QueueLimit("per-tenant", "metadata.tenant", Concurrency: 5));
        Assert.Equal(5, after.Limits[0].Limit.Concurrency);
        Assert.Empty((await client.QueueLimitDelete("mail", "per-tenant")).Limits);
        Assert.Equal(HttpStatusCode.NotFound, (await broker.Http.DeleteAsync("/api/v1/queues/mail/limits/per-tenant")).StatusCode);
    }

    [Theory]
    [InlineData("""{"key":"tenant","concurrency":1}""", "key")]
    [InlineData("""{"concurrency":0}""", "concurrency")]
    [InlineData("""{"rate":5}""", "interval")]
    [InlineData("""{}""", "concurrency")]
    public async Task A_bad_limit_is_a_400_naming_the_field_and_changes_nothing(string json, string field)
    {
        var response = await Put("/api/v1/queues/mail/limits/l1", json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await broker.GetOk("/api/v1/queues/mail/limits")).GetProperty("limits").GetArrayLength());
    }

    [Fact]
    public async Task A_bad_queue_or_limit_name_is_a_400()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await Put("/api/v1/queues/Bad%20Queue/limits/l1", """{"concurrency":1}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Put("/api/v1/queues/mail/limits/Bad%20Name", """{"concurrency":1}""")).StatusCode);
    }

    [Fact]
    public async Task Unique_key_answers_200_with_the_active_task()
    {
        var first = await broker.Post("/api/v1/tasks", """{"type":"x","unique_key":"sync-42"}""");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await Broker.Body(first)).GetProperty("id").GetString();
        var again = await broker.Post("/api/v1/tasks", """{"type":"x","unique_key":"sync-42"}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await Broker.Body(again)).GetProperty("id").GetString());
        Assert.Equal("sync-42", (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("unique_key").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await broker.Post("/api/v1/tasks", """{"type":"x","unique_key":""}""")).StatusCode);
    }
}
