using System.Net;
using System.Text.Json;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Api;

/// <summary>Search on GET /api/v1/tasks, TaskRetry, TaskDelete, BulkAction, BulkActionList, DeadLetterGroups, redrive with new args.</summary>
public sealed class TaskActionRoutesTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    private async Task<string> Submit(string json) => (await broker.PostOk("/api/v1/tasks", json)).GetProperty("id").GetString()!;

    /// <summary>Submits one task to <paramref name="queue"/>, leases it and fails it for good with the error given.</summary>
    private async Task<string> Dead(string queue, string type, string message, string extra = "")
    {
        await Submit($$"""{"type":"doomed","queue":"{{queue}}"{{extra}}}""");
        var (id, token, _) = await broker.LeaseOne(queue);
        await broker.PostOk($"/api/v1/tasks/{id}/fail", $$"""{"lease_token":"{{token}}","error":{"type":"{{type}}","message":"{{message}}"},"retry":false}""");
        return id;
    }

    private static List<string> Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetString()!)];

    [Fact]
    public async Task TaskList_searches_by_idempotency_key_tag_error_and_error_type()
    {
        var keyed = await Submit("""{"type":"x","queue":"s","idempotency_key":"order-42","metadata":{"env":"prod"}}""");
        var dev = await Submit("""{"type":"x","queue":"s","metadata":{"env":"dev","q":"a=b"}}""");
        var dead = await Dead("s2", "ValueError", "Bad Order Number", ""","metadata":{"env":"prod"}""");

        Assert.Equal([keyed], Ids(await broker.GetOk("/api/v1/tasks?idempotency_key=order-42")));
        Assert.Empty(Ids(await broker.GetOk("/api/v1/tasks?idempotency_key=order-42&state=failed")));
        Assert.Equal(new[] { keyed, dead }.Order(), Ids(await broker.GetOk("/api/v1/tasks?tag=env%3Dprod")).Order());
        Assert.Equal([dev], Ids(await broker.GetOk("/api/v1/tasks?tag=q=a%3Db")));
        Assert.Equal([keyed], Ids(await broker.GetOk("/api/v1/tasks?tag=env=prod&queue=s")));
        Assert.Equal([dead], Ids(await broker.GetOk("/api/v1/tasks?error=order%20NUMBER")));
        Assert.Equal([dead], Ids(await broker.GetOk("/api/v1/tasks?error_type=ValueError&state=failed")));
        Assert.Empty(Ids(await broker.GetOk("/api/v1/tasks?error_type=valueerror")));
    }

    [Theory]
    [InlineData("tag=novalue", "tag")]
    [InlineData("tag=%3Dvalue", "tag")]
    [InlineData("error_type=x&tag=k", "tag")]
    [InlineData("state=dead", "state")]
    public async Task TaskList_refuses_a_malformed_filter(string query, string field)
    {
        using var response = await broker.Http.GetAsync("/api/v1/tasks?" + query);
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, field);
    }

    [Theory]
    [InlineData("idempotency_key", 201)]
    [InlineData("error", 201)]
    [InlineData("error_type", 201)]
    public async Task TaskList_refuses_a_filter_over_its_length(string name, int length)
    {
        using var response = await broker.Http.GetAsync($"/api/v1/tasks?{name}={new string('k', length)}");
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, name);
    }

    [Fact]
    public async Task TaskList_refuses_a_tag_key_or_value_over_its_length()
    {
        using (var key = await broker.Http.GetAsync($"/api/v1/tasks?tag={new string('k', 65)}=v"))
            await Problems.Assert(key, HttpStatusCode.BadRequest, ProblemTypes.Validation, "tag");
        using var value = await broker.Http.GetAsync($"/api/v1/tasks?tag=k={new string('v', 1025)}");
        await Problems.Assert(value, HttpStatusCode.BadRequest, ProblemTypes.Validation, "tag");
    }

    [Fact]
    public async Task TaskRetry_runs_a_scheduled_task_now_and_redrives_a_dead_one_and_refuses_others()
    {
        var scheduled = await Submit("""{"type":"x","queue":"r","delay":3600}""");
        var retried = await broker.PostOk($"/api/v1/tasks/{scheduled}/retry", "");
        Assert.Equal("pending", retried.GetProperty("state").GetString());
        var dead = await Dead("r2", "E", "boom");
        var redriven = await broker.PostOk($"/api/v1/tasks/{dead}/retry", "");
        Assert.Equal(("pending", 0), (redriven.GetProperty("state").GetString(), redriven.GetProperty("attempt").GetInt32()));

        using (var pending = await broker.Post($"/api/v1/tasks/{scheduled}/retry", ""))
        {
            var problem = await Problems.Assert(pending, HttpStatusCode.Conflict, ProblemTypes.TaskStateConflict);
            Assert.Contains("pending", problem.GetProperty("detail").GetString());
        }
        var (running, _, _) = await broker.LeaseOne("r");
        using (var conflict = await broker.Post($"/api/v1/tasks/{running}/retry", ""))
            await Problems.Assert(conflict, HttpStatusCode.Conflict, ProblemTypes.TaskStateConflict);
        Assert.Equal("running", (await broker.GetOk($"/api/v1/tasks/{running}")).GetProperty("state").GetString());
        using (var missing = await broker.Post("/api/v1/tasks/0190b3a4-0000-7000-8000-000000000000/retry", ""))
            await Problems.Assert(missing, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        using var garbage = await broker.Post("/api/v1/tasks/not-an-id/retry", "");
        await Problems.Assert(garbage, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task TaskDelete_removes_a_task_and_refuses_a_running_one()
    {
        var id = await Submit("""{"type":"x","queue":"del","idempotency_key":"once"}""");
        using (var deleted = await broker.Http.DeleteAsync($"/api/v1/tasks/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var gone = await broker.Http.GetAsync($"/api/v1/tasks/{id}"))
            await Problems.Assert(gone, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        using (var again = await broker.Http.DeleteAsync($"/api/v1/tasks/{id}"))
            await Problems.Assert(again, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        // The idempotency key went with it.
        using (var resubmit = await broker.Post("/api/v1/tasks", """{"type":"x","queue":"del","idempotency_key":"once"}"""))
            Assert.Equal(HttpStatusCode.Created, resubmit.StatusCode);

        var (running, _, _) = await broker.LeaseOne("del");
        using var conflict = await broker.Http.DeleteAsync($"/api/v1/tasks/{running}");
        await Problems.Assert(conflict, HttpStatusCode.Conflict, ProblemTypes.TaskStateConflict);
        Assert.Equal("running", (await broker.GetOk($"/api/v1/tasks/{running}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task BulkAction_by_filter_counts_on_a_dry_run_then_retries_and_is_recorded()
    {
        var value = new[] { await Dead("b", "ValueError", "v1"), await Dead("b", "ValueError", "v2") };
        var key = await Dead("b", "KeyError", "k1");
        const string filter = "\"filter\":{\"state\":\"failed\",\"error_type\":\"ValueError\"}";

        var dry = await broker.PostOk("/api/v1/tasks/bulk", "{\"action\":\"retry\"," + filter + ",\"dry_run\":true}");
        Assert.Equal((2, 0), (dry.GetProperty("matched").GetInt64(), dry.GetProperty("changed").GetInt64()));
        Assert.False(dry.TryGetProperty("id", out _));
        Assert.Equal(3, (await broker.GetOk("/api/v1/dead-letters?queue=b")).GetProperty("items").GetArrayLength());
        Assert.Empty((await broker.GetOk("/api/v1/bulk-actions")).GetProperty("items").EnumerateArray());

        var done = await broker.PostOk("/api/v1/tasks/bulk", "{\"action\":\"retry\"," + filter + "}");
        Assert.Equal((2, 2), (done.GetProperty("matched").GetInt64(), done.GetProperty("changed").GetInt64()));
        foreach (var id in value) Assert.Equal("pending", (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("state").GetString());
        Assert.Equal("failed", (await broker.GetOk($"/api/v1/tasks/{key}")).GetProperty("state").GetString());

        var log = (await broker.GetOk("/api/v1/bulk-actions?limit=10")).GetProperty("items");
        var record = Assert.Single(log.EnumerateArray());
        Assert.Equal(done.GetProperty("id").GetString(), record.GetProperty("id").GetString());
        Assert.Equal(("anonymous", "retry", 0, 2, 2), (record.GetProperty("actor").GetString(), record.GetProperty("action").GetString(),
            record.GetProperty("ids_count").GetInt32(), record.GetProperty("matched").GetInt64(), record.GetProperty("changed").GetInt64()));
        Assert.Equal("ValueError", record.GetProperty("filter").GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task BulkAction_by_ids_cancels_and_deletes()
    {
        var a = await Submit("""{"type":"x","queue":"bi"}""");
        var b = await Submit("""{"type":"x","queue":"bi"}""");
        var missing = "0190b3a4-0000-7000-8000-000000000000";
        var cancel = await broker.PostOk("/api/v1/tasks/bulk", $$"""{"action":"cancel","ids":["{{a}}","{{b}}","{{missing}}"]}""");
        Assert.Equal((2, 2), (cancel.GetProperty("matched").GetInt64(), cancel.GetProperty("changed").GetInt64()));
        Assert.Equal("cancelled", (await broker.GetOk($"/api/v1/tasks/{a}")).GetProperty("state").GetString());
        var again = await broker.PostOk("/api/v1/tasks/bulk", $$"""{"action":"cancel","ids":["{{a}}"]}""");
        Assert.Equal((1, 0), (again.GetProperty("matched").GetInt64(), again.GetProperty("changed").GetInt64()));
        var delete = await broker.PostOk("/api/v1/tasks/bulk", """{"action":"delete","filter":{"queue":"bi","state":"cancelled"}}""");
        Assert.Equal((2, 2), (delete.GetProperty("matched").GetInt64(), delete.GetProperty("changed").GetInt64()));
        Assert.Empty(Ids(await broker.GetOk("/api/v1/tasks?queue=bi")));
        var log = (await broker.GetOk("/api/v1/bulk-actions")).GetProperty("items");
        Assert.Equal(["delete", "cancel", "cancel"], log.EnumerateArray().Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(3, log[2].GetProperty("ids_count").GetInt32());
    }

    [Theory]
    [InlineData("""{"ids":["0190b3a4-0000-7000-8000-000000000000"]}""", "action")]
    [InlineData("""{"action":"explode","ids":["0190b3a4-0000-7000-8000-000000000000"]}""", "action")]
    [InlineData("""{"action":"retry"}""", "ids")]
    [InlineData("""{"action":"retry","ids":["0190b3a4-0000-7000-8000-000000000000"],"filter":{}}""", "filter")]
    [InlineData("""{"action":"retry","ids":[]}""", "ids")]
    [InlineData("""{"action":"retry","ids":["nope"]}""", "ids[0]")]
    [InlineData("""{"action":"retry","filter":{"state":"dead"}}""", "filter.state")]
    [InlineData("""{"action":"retry","filter":{"tag":"novalue"}}""", "filter.tag")]
    [InlineData("""{"action":"retry","filter":{"queue":"Not Valid"}}""", "filter.queue")]
    [InlineData("""{"action":"retry","filter":{"error":""}}""", "filter.error")]
    [InlineData("""{"action":"retry","filter":{"state":7}}""", "filter.state")]
    public async Task BulkAction_refuses_bad_input_and_records_nothing(string body, string field)
    {
        var id = await Submit("""{"type":"x","queue":"bad","delay":60}""");
        using var response = await broker.Post("/api/v1/tasks/bulk", body);
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, field);
        Assert.Equal("scheduled", (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("state").GetString());
        Assert.Empty((await broker.GetOk("/api/v1/bulk-actions")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task BulkAction_refuses_too_many_ids_and_malformed_json()
    {
        var ids = string.Join(',', Enumerable.Range(0, 1001).Select(i => $"\"0190b3a4-0000-7000-8000-{i:D12}\""));
        using (var many = await broker.Post("/api/v1/tasks/bulk", $$"""{"action":"delete","ids":[{{ids}}]}"""))
            await Problems.Assert(many, HttpStatusCode.BadRequest, ProblemTypes.Validation, "ids");
        using var malformed = await broker.Post("/api/v1/tasks/bulk", """{"action":""");
        await Problems.Assert(malformed, HttpStatusCode.BadRequest, ProblemTypes.MalformedJson);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("many")]
    public async Task BulkActionList_refuses_a_bad_limit(string limit)
    {
        using var response = await broker.Http.GetAsync("/api/v1/bulk-actions?limit=" + limit);
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, "limit");
    }

    [Fact]
    public async Task BulkAction_records_the_token_s_name_as_actor()
    {
        await using var secured = await Broker.Start(o =>
        {
            o.Tokens.Add(ApiToken.FromSecret("ops-secret", [Scopes.Admin], name: "alice"));
            o.Tokens.Add(ApiToken.FromSecret("unnamed-secret", [Scopes.Admin]));
        });
        var unnamedLabel = ApiToken.FromSecret("unnamed-secret", [Scopes.Admin]).Label; // "sha256:" + 8 hex digits
        var alice = secured.Client("ops-secret");
        var unnamed = secured.Client("unnamed-secret");
        await secured.PostOk("/api/v1/tasks/bulk", """{"action":"cancel","filter":{"queue":"none"}}""", alice);
        await secured.PostOk("/api/v1/tasks/bulk", """{"action":"cancel","filter":{"queue":"none"}}""", unnamed);
        var actors = (await secured.GetOk("/api/v1/bulk-actions", alice)).GetProperty("items").EnumerateArray()
            .Select(r => r.GetProperty("actor").GetString()!).ToList();
        Assert.Contains("alice", actors);
        Assert.StartsWith("sha256:", unnamedLabel, StringComparison.Ordinal);
        Assert.Contains(unnamedLabel, actors);
    }

    [Fact]
    public async Task DeadLetterGroups_counts_by_error_type()
    {
        await Dead("g1", "ValueError", "first");
        await Dead("g1", "ValueError", "second");
        await Dead("g2", "ValueError", "third");
        await Dead("g2", "TimeoutError", "slow");
        var all = (await broker.GetOk("/api/v1/dead-letters/groups")).GetProperty("groups");
        Assert.Equal([("ValueError", 3L), ("TimeoutError", 1L)], all.EnumerateArray().Select(g => (g.GetProperty("error_type").GetString(), g.GetProperty("count").GetInt64())));
        Assert.True(all[0].TryGetProperty("last_at", out _));
        var g1 = Assert.Single((await broker.GetOk("/api/v1/dead-letters/groups?queue=g1")).GetProperty("groups").EnumerateArray());
        Assert.Equal(2, g1.GetProperty("count").GetInt64());
        Assert.Contains(g1.GetProperty("sample_message").GetString(), new[] { "first", "second" });
        using var bad = await broker.Http.GetAsync("/api/v1/dead-letters/groups?queue=Not%20Valid");
        await Problems.Assert(bad, HttpStatusCode.BadRequest, ProblemTypes.Validation, "queue");
    }

    [Fact]
    public async Task DeadLetterRedrive_with_args_redrives_with_the_new_args()
    {
        var id = await Dead("ea", "E", "boom");
        Assert.Equal(1, (await broker.PostOk($"/api/v1/dead-letters/{id}/retry", """{"args":{"n":35}}""")).GetProperty("count").GetInt32());
        var task = await broker.GetOk($"/api/v1/tasks/{id}");
        Assert.Equal(("pending", 35), (task.GetProperty("state").GetString(), task.GetProperty("args").GetProperty("n").GetInt32()));
        // A body without args keeps them.
        var (leased, token, _) = await broker.LeaseOne("ea");
        await broker.PostOk($"/api/v1/tasks/{leased}/fail", $$"""{"lease_token":"{{token}}","error":{"type":"E","message":"again"},"retry":false}""");
        await broker.PostOk($"/api/v1/dead-letters/{id}/retry", "{}");
        Assert.Equal(35, (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("args").GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task DeadLetterRedrive_with_args_refuses_bad_bodies_and_changes_nothing()
    {
        var id = await Dead("eb", "E", "boom");
        using (var notObject = await broker.Post($"/api/v1/dead-letters/{id}/retry", "[1]"))
            await Problems.Assert(notObject, HttpStatusCode.BadRequest, ProblemTypes.Validation, "$");
        using (var malformed = await broker.Post($"/api/v1/dead-letters/{id}/retry", """{"args":"""))
            await Problems.Assert(malformed, HttpStatusCode.BadRequest, ProblemTypes.MalformedJson);
        // Args over the submission limit (1 MiB of JSON), in a body under the route's limit (2 MiB): 413 from the args check.
        using (var tooLarge = await broker.Post($"/api/v1/dead-letters/{id}/retry", $$"""{"args":"{{new string('x', 1024 * 1024 + 10)}}"}"""))
        {
            var problem = await Problems.Assert(tooLarge, HttpStatusCode.RequestEntityTooLarge, ProblemTypes.PayloadTooLarge);
            Assert.Contains("args", problem.GetRawText());
        }
        Assert.Equal("failed", (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("state").GetString());
        using var missing = await broker.Post("/api/v1/dead-letters/0190b3a4-0000-7000-8000-000000000000/retry", """{"args":1}""");
        await Problems.Assert(missing, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }
}
