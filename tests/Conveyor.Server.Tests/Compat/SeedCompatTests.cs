using System.Net;
using System.Text.Json;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Compat;

/// <summary>The seeds' own requests, unchanged, end to end (docs/compat.md); the test plays the worker over the API.</summary>
public sealed class SeedCompatTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task Seed001_send_email_queues_an_email_send_task()
    {
        var body = await broker.PostOk("/send-email", """{"recipient_email":"user@example.com","subject":"Welcome!","body":"Thank you for signing up."}""");
        Assert.Equal("queued", body.GetProperty("status").GetString());
        Assert.Equal("Email task added to queue", body.GetProperty("message").GetString());

        var (id, _, task) = await broker.LeaseOne();
        Assert.Equal(body.GetProperty("task_id").GetString(), id);
        Assert.Equal("email.send", task.GetProperty("type").GetString());
        Assert.Equal("user@example.com", task.GetProperty("args").GetProperty("recipient_email").GetString());
        Assert.Equal("Welcome!", task.GetProperty("args").GetProperty("subject").GetString());

        using var bad = await broker.Post("/send-email", """{"subject":"x","body":"y"}""");
        await Problems.Assert(bad, HttpStatusCode.BadRequest, ProblemTypes.Validation, "recipient_email");
    }

    [Fact]
    public async Task Seed002_manager_task_reports_pending_then_complete_with_the_result()
    {
        var id = (await broker.PostOk("/task", """{"number": 35}""")).GetProperty("task_id").GetString();
        Assert.Equal("pending", (await broker.GetOk($"/task/{id}")).GetProperty("status").GetString());

        var (leased, token, task) = await broker.LeaseOne();
        Assert.Equal(id, leased);
        Assert.Equal("fib", task.GetProperty("type").GetString());
        Assert.Equal("processing", (await broker.GetOk($"/task/{id}")).GetProperty("status").GetString());
        var result = Fib(task.GetProperty("args").GetProperty("n").GetInt32());
        await broker.PostOk($"/api/v1/tasks/{id}/complete", $$"""{"lease_token":"{{token}}","result":{{result}}}""");

        var done = await broker.GetOk($"/task/{id}");
        Assert.Equal("complete", done.GetProperty("status").GetString());
        Assert.Equal(9227465, done.GetProperty("result").GetInt64());

        using var bad = await broker.Post("/task", """{"number":"35"}""");
        await Problems.Assert(bad, HttpStatusCode.BadRequest, ProblemTypes.Validation, "number");
    }

    [Fact]
    public async Task Seed002_react_front_end_origin_may_call_the_manager_when_allowed()
    {
        await using var withCors = await Broker.Start(o => o.CorsOrigins.Add("http://localhost:3000"));
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/task");
        preflight.Headers.Add("Origin", "http://localhost:3000");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var response = await withCors.Http.SendAsync(preflight);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        Assert.Equal("http://localhost:3000", response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var other = new HttpRequestMessage(HttpMethod.Options, "/task");
        other.Headers.Add("Origin", "http://evil.example");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        using var refused = await withCors.Http.SendAsync(other);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Seed003_broker_submit_get_ack_status_dlq_and_retry()
    {
        await using var secured = await Broker.Start(o => o.Tokens.Add(Conveyor.Server.Auth.ApiToken.FromSecret("your-very-secret-token", ["admin"])));
        var http = secured.Client("your-very-secret-token", apiTokenHeader: true);
        using (var anonymous = await secured.Http.GetAsync("/get"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var id = (await secured.PostOk("/submit", """{"type":"fib","payload":{"n":10}}""", http)).GetProperty("task_id").GetString();
        var got = await secured.GetOk("/get", http);
        Assert.Equal(id, got.GetProperty("task_id").GetString());
        Assert.Equal("fib", got.GetProperty("type").GetString());
        Assert.Equal(10, got.GetProperty("payload").GetProperty("n").GetInt32());
        using (var empty = await http.GetAsync("/get"))
            Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);

        // The seed's worker sends only task_id and status: the broker remembers the lease token.
        var ack = await secured.PostOk("/ack", $$"""{"task_id":"{{id}}","status":"done","result":55}""", http);
        Assert.Equal("acknowledged", ack.GetProperty("status").GetString());
        var status = await secured.GetOk($"/status/{id}", http);
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        Assert.Equal(55, status.GetProperty("result").GetInt32());
        using (var twice = await secured.Post("/ack", $$"""{"task_id":"{{id}}","status":"done","result":55}""", http))
            await Problems.Assert(twice, HttpStatusCode.Conflict, ProblemTypes.StaleLease);

        var doomed = (await secured.PostOk("/submit", """{"type":"fib","payload":{"n":-1},"max_attempts":1}""", http)).GetProperty("task_id").GetString();
        await secured.GetOk("/get", http);
        await secured.PostOk("/ack", $$"""{"task_id":"{{doomed}}","status":"failed","error":"negative n"}""", http);
        var dlq = await secured.GetOk("/dlq", http);
        var entry = dlq.EnumerateArray().Single();
        Assert.Equal(doomed, entry.GetProperty("task_id").GetString());
        Assert.Equal("negative n", entry.GetProperty("error").GetString());

        var retried = await secured.PostOk($"/dlq/retry/{doomed}", "", http);
        Assert.Equal("requeued", retried.GetProperty("status").GetString());
        Assert.Equal("pending", (await secured.GetOk($"/status/{doomed}", http)).GetProperty("status").GetString());
        Assert.Equal(doomed, (await secured.GetOk("/get", http)).GetProperty("task_id").GetString());

        using var badAck = await secured.Post("/ack", $$"""{"task_id":"{{doomed}}","status":"maybe"}""", http);
        await Problems.Assert(badAck, HttpStatusCode.BadRequest, ProblemTypes.Validation, "status");
    }

    [Fact]
    public async Task Seed004_celery_submit_and_states_pending_started_retry_success_failure()
    {
        var submitted = await broker.PostOk("/tasks/submit", """{"data": "sample payload"}""");
        Assert.Equal("submitted", submitted.GetProperty("status").GetString());
        var id = submitted.GetProperty("task_id").GetString();
        Assert.Equal("PENDING", await Celery(id));

        var (_, token, task) = await broker.LeaseOne();
        Assert.Equal("heavy", task.GetProperty("type").GetString());
        Assert.Equal("sample payload", task.GetProperty("args").GetProperty("data").GetString());
        Assert.True(task.GetProperty("max_attempts").GetInt32() > 1);
        Assert.Equal("STARTED", await Celery(id));
        await broker.PostOk($"/api/v1/tasks/{id}/fail", $$"""{"lease_token":"{{token}}","error":{"type":"x","message":"transient"},"retry_delay":0}""");
        Assert.Equal("RETRY", await Celery(id));

        var (_, token2, _) = await broker.LeaseOne();
        await broker.PostOk($"/api/v1/tasks/{id}/complete", $$"""{"lease_token":"{{token2}}","result":"done"}""");
        var success = await broker.GetOk($"/tasks/{id}");
        Assert.Equal("SUCCESS", success.GetProperty("status").GetString());
        Assert.Equal("done", success.GetProperty("result").GetString());

        var other = (await broker.PostOk("/tasks/submit", """{"data": 1}""")).GetProperty("task_id").GetString();
        var (_, token3, _) = await broker.LeaseOne();
        await broker.PostOk($"/api/v1/tasks/{other}/fail", $$"""{"lease_token":"{{token3}}","error":{"type":"x","message":"fatal"},"retry":false}""");
        var failure = await broker.GetOk($"/tasks/status/{other}");
        Assert.Equal("FAILURE", failure.GetProperty("status").GetString());
        Assert.Equal("fatal", failure.GetProperty("result").GetString());
    }

    private async Task<string?> Celery(string? id) => (await broker.GetOk($"/tasks/{id}")).GetProperty("status").GetString();

    private static long Fib(int n)
    {
        long a = 0, b = 1;
        for (var i = 0; i < n; i++) (a, b) = (b, a + b);
        return a;
    }
}
