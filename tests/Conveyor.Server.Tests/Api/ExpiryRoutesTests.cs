using System.Net;
using System.Text;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Server.Tests.Api;

/// <summary>Expiry on POST /api/v1/tasks (issue 14 item 4): expires_at / ttl, their 400 problems, and state=expired in the listing.</summary>
public sealed class ExpiryRoutesTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 30, TimeSpan.Zero));
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start(time: time);
    public async Task DisposeAsync() => await broker.DisposeAsync();

    private Task<HttpResponseMessage> Submit(string json) =>
        broker.Http.PostAsync("/api/v1/tasks", new StringContent(json, Encoding.UTF8, "application/json"));

    [Theory]
    [InlineData("""{"type":"t","queue":"xv","ttl":30,"expires_at":"2030-01-02T03:10:00Z"}""", "expires_at")]
    [InlineData("""{"type":"t","queue":"xv","ttl":0}""", "ttl")]
    [InlineData("""{"type":"t","queue":"xv","ttl":-5}""", "ttl")]
    [InlineData("""{"type":"t","queue":"xv","expires_at":"2030-01-02T02:00:00Z"}""", "expires_at")]
    public async Task A_bad_expiry_is_a_precise_400_and_stores_nothing(string body, string field)
    {
        await Problems.Assert(await Submit(body), HttpStatusCode.BadRequest, ProblemTypes.Validation, field);
        var tasks = (await broker.GetOk("/api/v1/tasks?queue=xv")).GetProperty("items");
        Assert.Equal(0, tasks.GetArrayLength());
    }

    [Fact]
    public async Task A_task_with_a_ttl_shows_its_expires_at_and_is_listed_expired_once_past_it()
    {
        var created = await Broker.Body(await Submit("""{"type":"t","queue":"xl","ttl":30}"""), expectSuccess: true);
        Assert.Equal("2030-01-02T03:05:00+00:00", created.GetProperty("expires_at").GetString());
        var id = created.GetProperty("id").GetString();
        time.Advance(TimeSpan.FromSeconds(31)); // the broker's own maintenance loop runs on this clock
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        string? state = null;
        while (DateTime.UtcNow < deadline && state != "expired")
        {
            state = (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("state").GetString();
            if (state != "expired") await Task.Delay(50);
        }
        Assert.Equal("expired", state);
        var listed = (await broker.GetOk("/api/v1/tasks?state=expired")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(id, Assert.Single(listed).GetProperty("id").GetString());
        var queue = (await broker.GetOk("/api/v1/queues")).GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "xl");
        Assert.Equal(1, queue.GetProperty("expired").GetInt64());
    }
}
