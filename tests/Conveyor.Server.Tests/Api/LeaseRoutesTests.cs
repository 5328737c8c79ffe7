using System.Diagnostics;
using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Api;

public sealed class LeaseRoutesTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task Lease_then_complete_succeeds_the_task()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"fib","args":{"n":5}}""")).GetProperty("id").GetString();
        var (leasedId, token, task) = await broker.LeaseOne();
        Assert.Equal(id, leasedId);
        Assert.Equal("running", task.GetProperty("state").GetString());
        Assert.Equal(1, task.GetProperty("attempt").GetInt32());

        var ack = await broker.PostOk($"/api/v1/tasks/{id}/complete", $$"""{"lease_token":"{{token}}","result":5}""");
        Assert.Equal("ok", ack.GetProperty("outcome").GetString());
        var done = await broker.GetOk($"/api/v1/tasks/{id}");
        Assert.Equal("succeeded", done.GetProperty("state").GetString());
        Assert.Equal(5, done.GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task Fail_with_attempts_left_schedules_a_retry_and_without_retry_goes_dead()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"flaky","max_attempts":3}""")).GetProperty("id").GetString();
        var (_, token, _) = await broker.LeaseOne();
        var ack = await broker.PostOk($"/api/v1/tasks/{id}/fail", $$"""{"lease_token":"{{token}}","error":{"type":"IOException","message":"disk"},"retry_delay":60}""");
        Assert.Equal("scheduled", ack.GetProperty("state").GetString());
        var retrying = await broker.GetOk($"/api/v1/tasks/{id}");
        Assert.Equal("disk", retrying.GetProperty("error").GetProperty("message").GetString());

        var other = (await broker.PostOk("/api/v1/tasks", """{"type":"fatal","queue":"q2"}""")).GetProperty("id").GetString();
        var (_, token2, _) = await broker.LeaseOne("q2");
        var dead = await broker.PostOk($"/api/v1/tasks/{other}/fail", $$"""{"lease_token":"{{token2}}","error":{"type":"bad","message":"no"},"retry":false}""");
        Assert.Equal("failed", dead.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Heartbeat_extends_records_progress_and_reports_a_cancel()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"long"}""")).GetProperty("id").GetString();
        var (_, token, _) = await broker.LeaseOne();
        var beat = await broker.PostOk($"/api/v1/tasks/{id}/heartbeat", $$$"""{"lease_token":"{{{token}}}","lease_duration":120,"progress":{"percent":40,"message":"halfway"}}""");
        Assert.False(beat.GetProperty("cancel_requested").GetBoolean());
        var task = await broker.GetOk($"/api/v1/tasks/{id}");
        Assert.Equal(40, task.GetProperty("progress").GetProperty("percent").GetInt32());

        await broker.PostOk($"/api/v1/tasks/{id}/cancel", "{}");
        // Cancelled while running: the worker learns it on its next heartbeat, as a 200 with the flag set.
        var after = await broker.PostOk($"/api/v1/tasks/{id}/heartbeat", $$"""{"lease_token":"{{token}}"}""");
        Assert.True(after.GetProperty("cancel_requested").GetBoolean(), after.ToString());
        Assert.Equal("cancelled", (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_stale_lease_token_is_409_and_changes_nothing()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"fenced"}""")).GetProperty("id").GetString();
        await broker.LeaseOne();
        var before = await broker.GetOk($"/api/v1/tasks/{id}");

        foreach (var route in new[] { "complete", "heartbeat" })
        {
            using var response = await broker.Post($"/api/v1/tasks/{id}/{route}", """{"lease_token":"not-the-token","result":1}""");
            await Problems.Assert(response, HttpStatusCode.Conflict, ProblemTypes.StaleLease);
        }
        using var fail = await broker.Post($"/api/v1/tasks/{id}/fail", """{"lease_token":"not-the-token","error":{"type":"x","message":"y"}}""");
        await Problems.Assert(fail, HttpStatusCode.Conflict, ProblemTypes.StaleLease);

        var after = await broker.GetOk($"/api/v1/tasks/{id}");
        Assert.Equal("running", after.GetProperty("state").GetString());
        Assert.Equal(before.GetProperty("attempt").GetInt32(), after.GetProperty("attempt").GetInt32());
        Assert.Equal(before.GetProperty("lease_deadline").GetString(), after.GetProperty("lease_deadline").GetString());
        Assert.False(after.TryGetProperty("result", out _));
    }

    [Fact]
    public async Task Missing_lease_token_is_400()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"x"}""")).GetProperty("id").GetString();
        await broker.LeaseOne();
        using var response = await broker.Post($"/api/v1/tasks/{id}/complete", """{"result":1}""");
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, "lease_token");
    }

    [Fact]
    public async Task A_long_poll_lease_is_woken_by_a_submit_well_before_its_wait_expires()
    {
        var clock = Stopwatch.StartNew();
        var leasing = broker.Post("/api/v1/leases", """{"worker_id":"w","queues":["wake"],"max":1,"wait":30}""");
        await Task.Delay(300);
        Assert.False(leasing.IsCompleted, "the lease answered before any work existed");
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"x","queue":"wake"}""")).GetProperty("id").GetString();

        using var response = await leasing;
        var body = await Broker.Body(response, expectSuccess: true);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"lease took {clock.Elapsed}");
        Assert.Equal(id, body.GetProperty("tasks")[0].GetProperty("task").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_stopping_server_ends_a_long_poll_lease_at_once_with_no_tasks()
    {
        var leasing = broker.Post("/api/v1/leases", """{"worker_id":"w","queues":["idle"],"max":1,"wait":30}""");
        await Task.Delay(300);
        Assert.False(leasing.IsCompleted);
        var clock = Stopwatch.StartNew();
        await broker.App.StopAsync();
        using var response = await leasing;
        var body = await Broker.Body(response, expectSuccess: true);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stop took {clock.Elapsed}");
        Assert.Equal(0, body.GetProperty("tasks").GetArrayLength());
    }

    [Fact]
    public async Task Batch_routes_answer_one_outcome_per_item_with_stale_items_as_values()
    {
        for (var i = 0; i < 4; i++) await broker.PostOk("/api/v1/tasks", """{"type":"batch"}""");
        var leased = (await broker.PostOk("/api/v1/leases", """{"worker_id":"w","queues":["default"],"max":4}""")).GetProperty("tasks");
        Assert.Equal(4, leased.GetArrayLength());
        string Id(int i) => leased[i].GetProperty("task").GetProperty("id").GetString()!;
        string Tok(int i) => leased[i].GetProperty("lease_token").GetString()!;

        var beats = await broker.PostOk("/api/v1/leases/heartbeat", $$"""{"items":[{"task_id":"{{Id(0)}}","lease_token":"{{Tok(0)}}","duration":60},{"task_id":"{{Id(1)}}","lease_token":"stale","duration":60}]}""");
        Assert.Equal(["ok", "stale_lease"], beats.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("outcome").GetString()!).ToArray());

        var done = await broker.PostOk("/api/v1/leases/complete", $$"""{"items":[{"task_id":"{{Id(0)}}","lease_token":"{{Tok(0)}}","result":1},{"task_id":"{{Id(1)}}","lease_token":"stale"}]}""");
        Assert.Equal(["ok", "stale_lease"], done.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("outcome").GetString()!).ToArray());

        var failed = await broker.PostOk("/api/v1/leases/fail", $$"""{"items":[{"task_id":"{{Id(1)}}","lease_token":"{{Tok(1)}}","error":{"type":"t","message":"m"},"retry":false}]}""");
        Assert.Equal("failed", failed.GetProperty("results")[0].GetProperty("state").GetString());

        var released = await broker.PostOk("/api/v1/leases/release", $$"""{"items":[{"task_id":"{{Id(2)}}","lease_token":"{{Tok(2)}}"}]}""");
        Assert.Equal("ok", released.GetProperty("results")[0].GetProperty("outcome").GetString());

        Assert.Equal("succeeded", (await broker.GetOk($"/api/v1/tasks/{Id(0)}")).GetProperty("state").GetString());
        Assert.Equal("failed", (await broker.GetOk($"/api/v1/tasks/{Id(1)}")).GetProperty("state").GetString());
        Assert.Equal("pending", (await broker.GetOk($"/api/v1/tasks/{Id(2)}")).GetProperty("state").GetString());
        Assert.Equal("running", (await broker.GetOk($"/api/v1/tasks/{Id(3)}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_batch_item_without_lease_token_is_400_naming_it()
    {
        using var response = await broker.Post("/api/v1/leases/complete", """{"items":[{"task_id":"0190b3a4-0000-7000-8000-000000000000"}]}""");
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, "items[0].lease_token");
    }
}
