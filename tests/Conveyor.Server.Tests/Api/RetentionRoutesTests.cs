using System.Net;
using System.Text;
using Conveyor.Client;
using Conveyor.Client.Protocol;
using Conveyor.Model;
using Conveyor.Retention;
using Conveyor.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Server.Tests.Api;

/// <summary>RetentionGet / RetentionSet / RetentionClear (GET/PUT/DELETE /api/v1/retention), and a maintenance run applying what was set.</summary>
public sealed class RetentionRoutesTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 30, TimeSpan.Zero));
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start(o => o.Retention.Apply("failed=30d", 500), time);
    public async Task DisposeAsync() => await broker.DisposeAsync();

    private Task<HttpResponseMessage> Put(string json) =>
        broker.Http.PutAsync("/api/v1/retention", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task The_configured_policy_answers_until_one_is_stored_and_the_stored_one_is_applied()
    {
        var configured = await broker.GetOk("/api/v1/retention");
        Assert.Equal("configuration", configured.GetProperty("source").GetString());
        Assert.Equal("7d", configured.GetProperty("policy").GetProperty("default_max_age").GetString());
        Assert.Contains(configured.GetProperty("policy").GetProperty("rules").EnumerateArray(),
            r => r.GetProperty("state").GetString() == "failed" && r.GetProperty("max_age").GetString() == "30d" && r.GetProperty("max_count").GetInt64() == 500);

        var put = await Put("""{"default_max_age":"1d","rules":[{"state":"succeeded","max_age":"1h"},{"queue":"keep","state":"succeeded","max_age":"2h"}]}""");
        var stored = await Broker.Body(put, expectSuccess: true);
        Assert.Equal("store", stored.GetProperty("source").GetString());
        Assert.Equal("1d", stored.GetProperty("policy").GetProperty("default_max_age").GetString());

        // A succeeded task in each queue; 90 minutes later the run deletes the one under the every-queue rule only.
        foreach (var q in new[] { "drop", "keep" })
        {
            await broker.PostOk("/api/v1/tasks", $$"""{"type":"x","queue":"{{q}}"}""");
            var (id, token, _) = await broker.LeaseOne(q);
            await broker.PostOk($"/api/v1/tasks/{id}/complete", $$"""{"lease_token":"{{token}}"}""");
        }
        time.Advance(TimeSpan.FromMinutes(90));
        // (The broker's own maintenance loop may run first on the advanced clock: either way the stored policy applies.)
        await broker.Engine.MaintenanceRun(RetentionPolicy.Uniform(TaskDefaults.Retention));
        var queues = (await broker.GetOk("/api/v1/queues")).GetProperty("queues").EnumerateArray().ToList();
        Assert.DoesNotContain(queues, q => q.GetProperty("name").GetString() == "drop" && q.GetProperty("succeeded").GetInt64() != 0);
        Assert.Contains(queues, q => q.GetProperty("name").GetString() == "keep" && q.GetProperty("succeeded").GetInt64() == 1);

        // The .NET client reads and clears the same.
        var client = new ConveyorClient(broker.Client(null));
        Assert.Equal(RetentionResponse.FromStore, (await client.RetentionGet()).Source);
        Assert.Equal(RetentionResponse.FromConfiguration, (await client.RetentionClear()).Source);
    }

    [Theory]
    [InlineData("""{"rules":[{"state":"running","max_age":"1h"}]}""", "rules[0].state")]
    [InlineData("""{"rules":[{"state":"succeeded","max_age":"soon"}]}""", "rules[0].max_age")]
    [InlineData("""{"rules":[{"state":"succeeded"}]}""", "rules[0]")]
    [InlineData("""{"rules":[{"state":"failed","max_count":-1}]}""", "rules[0].max_count")]
    [InlineData("""{"default_max_age":"0s"}""", "default_max_age")]
    [InlineData("""{"rules":[{"queue":"Bad Queue","state":"failed","max_age":"1h"}]}""", "rules[0].queue")]
    public async Task A_bad_policy_is_a_400_naming_the_field_and_changes_nothing(string json, string field)
    {
        var response = await Put(json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("configuration", (await broker.GetOk("/api/v1/retention")).GetProperty("source").GetString());
    }
}
