using System.Net;
using System.Text;
using Conveyor.Client;
using Conveyor.Schedules;
using Conveyor.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Server.Tests.Api;

/// <summary>ScheduleUpsert / ScheduleList / ScheduleGet / SchedulePause / ScheduleResume / ScheduleRunNow / ScheduleDelete over HTTP and the .NET client.</summary>
public sealed class ScheduleRoutesTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 30, TimeSpan.Zero));
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start(time: time);
    public async Task DisposeAsync() => await broker.DisposeAsync();

    private Task<HttpResponseMessage> Put(string name, string json) =>
        broker.Http.PutAsync($"/api/v1/schedules/{name}", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Put_creates_then_replaces_a_schedule_and_the_actions_answer_it()
    {
        var created = await Put("hourly", """{"cron":"0 * * * *","time_zone":"Asia/Kolkata","task":{"type":"report","queue":"reports","args":{"k":1}},"misfire":"once"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/schedules/hourly", created.Headers.Location?.OriginalString);
        var body = await Broker.Body(created, expectSuccess: true);
        // Kolkata is UTC+5:30: its next whole hour after 08:34:30 local is 09:00, 03:30 UTC.
        Assert.Equal("2030-01-02T03:30:00+00:00", body.GetProperty("next_run_at").GetString());
        Assert.Equal("once", body.GetProperty("misfire").GetString());
        var replaced = await Put("hourly", """{"name":"hourly","interval":600,"task":{"type":"report","queue":"reports"}}""");
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var list = (await broker.GetOk("/api/v1/schedules")).GetProperty("schedules").EnumerateArray().ToList();
        Assert.Equal(600, Assert.Single(list).GetProperty("interval").GetDouble());

        var client = new ConveyorClient(broker.Client(null));
        Assert.True((await client.SchedulePause("hourly")).Paused);
        var resumed = await client.ScheduleResume("hourly");
        Assert.False(resumed.Paused);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 10, 0, TimeSpan.Zero), resumed.NextRunAt);
        var task = await client.ScheduleRunNow("hourly");
        Assert.Equal("reports", task.Queue);
        Assert.Equal("hourly", task.Metadata["schedule"]);
        Assert.Equal(task.Id, (await client.ScheduleGet("hourly")).LastTaskId);
        Assert.True(await client.ScheduleDelete("hourly"));
        Assert.False(await client.ScheduleDelete("hourly"));
        Assert.Empty(await client.ScheduleList());
        foreach (var path in new[] { "/api/v1/schedules/hourly/pause", "/api/v1/schedules/hourly/resume", "/api/v1/schedules/hourly/run" })
            Assert.Equal(HttpStatusCode.NotFound, (await broker.Post(path, "")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await broker.Http.GetAsync("/api/v1/schedules/hourly")).StatusCode);
    }

    [Fact]
    public async Task The_client_upserts_a_definition_and_the_maintenance_loop_submits_its_ticks()
    {
        var client = new ConveyorClient(broker.Client(null));
        var s = await client.ScheduleUpsert(new ScheduleDefinition { Name = "tick", Cron = "*/10 * * * * *", Task = new ScheduleTask { Type = "noop", Queue = "ticks" } });
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 40, TimeSpan.Zero), s.NextRunAt);
        time.Advance(TimeSpan.FromSeconds(11)); // the broker's own maintenance loop runs on this clock
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while ((await client.ScheduleGet("tick")).LastTaskId is null && DateTime.UtcNow < deadline)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Delay(50);
        }
        var after = await client.ScheduleGet("tick");
        Assert.NotNull(after.LastTaskId);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 40, TimeSpan.Zero), after.LastRunAt);
        Assert.Equal("ticks", (await client.Get(after.LastTaskId!))!.Queue);
    }

    [Theory]
    [InlineData("""{"cron":"every day","task":{"type":"x"}}""", "cron")]
    [InlineData("""{"cron":"0 * * * *","interval":60,"task":{"type":"x"}}""", "cron")]
    [InlineData("""{"interval":0.5,"task":{"type":"x"}}""", "interval")]
    [InlineData("""{"cron":"0 * * * *","time_zone":"Mars/Olympus","task":{"type":"x"}}""", "time_zone")]
    [InlineData("""{"cron":"0 * * * *","task":{"type":"Bad Type"}}""", "task.type")]
    [InlineData("""{"cron":"0 * * * *","task":{"type":"x","priority":12}}""", "task.priority")]
    [InlineData("""{"cron":"0 * * * *","misfire":"skip","catch_up":60,"task":{"type":"x"}}""", "catch_up")]
    [InlineData("""{"cron":"0 * * * *","misfire":"sometimes","task":{"type":"x"}}""", "misfire")]
    [InlineData("""{"cron":"0 * * * *"}""", "task")]
    [InlineData("""{"name":"other","cron":"0 * * * *","task":{"type":"x"}}""", "name")]
    public async Task A_bad_definition_is_a_400_naming_the_field_and_stores_nothing(string json, string field)
    {
        var response = await Put("bad", json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await broker.GetOk("/api/v1/schedules")).GetProperty("schedules").GetArrayLength());
    }

    [Fact]
    public async Task A_bad_name_is_a_400()
    {
        var response = await Put("Not%20Valid", """{"cron":"0 * * * *","task":{"type":"x"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("name", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
