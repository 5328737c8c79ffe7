using System.Net;
using System.Text;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Api;

/// <summary>Every class of bad input answers a precise problem, and nothing is stored.</summary>
public sealed class ValidationTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Theory]
    [InlineData("""{"type":"fib",""", ProblemTypes.MalformedJson, null)]
    [InlineData("", ProblemTypes.MalformedJson, null)]
    [InlineData("""{"type":"fib","priority":"high"}""", ProblemTypes.Validation, "priority")]
    [InlineData("""{"type":"fib","max_attempts":2.5}""", ProblemTypes.Validation, "max_attempts")]
    [InlineData("""{"type":"fib","backoff":{"kind":"sometimes"}}""", ProblemTypes.Validation, "backoff.kind")]
    [InlineData("""{"type":"Fib!"}""", ProblemTypes.Validation, "type")]
    [InlineData("""{"type":"fib","queue":"UPPER case"}""", ProblemTypes.Validation, "queue")]
    [InlineData("""{"type":"fib","priority":12}""", ProblemTypes.Validation, "priority")]
    [InlineData("""{"type":"fib","delay":-5}""", ProblemTypes.Validation, "delay")]
    [InlineData("""{"type":"fib","timeout":0}""", ProblemTypes.Validation, "timeout")]
    [InlineData("""{"args":{}}""", ProblemTypes.Validation, "$")]
    [InlineData("""[1,2]""", ProblemTypes.Validation, "$")]
    public async Task Bad_submissions_are_refused_with_a_precise_problem_and_change_nothing(string body, string type, string? field)
    {
        using var response = await broker.Post("/api/v1/tasks", body);
        await Problems.Assert(response, HttpStatusCode.BadRequest, type, field);
        await AssertNothingStored();
    }

    [Fact]
    public async Task One_bad_task_rejects_the_whole_batch_naming_its_index()
    {
        using var response = await broker.Post("/api/v1/tasks/batch", """{"tasks":[{"type":"ok"},{"type":"ok","priority":12}]}""");
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, "tasks[1].priority");
        await AssertNothingStored();
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        var big = new string('x', 3 * 1024 * 1024);
        using var response = await broker.Post("/api/v1/tasks", $$"""{"type":"big","args":"{{big}}"}""");
        await Problems.Assert(response, HttpStatusCode.RequestEntityTooLarge, ProblemTypes.PayloadTooLarge);
        await AssertNothingStored();
    }

    [Fact]
    public async Task Args_over_their_own_limit_inside_an_acceptable_body_are_413()
    {
        var big = new string('x', 1024 * 1024 + 10);
        using var response = await broker.Post("/api/v1/tasks", $$"""{"type":"big","args":"{{big}}"}""");
        await Problems.Assert(response, HttpStatusCode.RequestEntityTooLarge, ProblemTypes.PayloadTooLarge, "args");
        await AssertNothingStored();
    }

    [Fact]
    public async Task A_non_json_content_type_is_415()
    {
        using var response = await broker.Http.PostAsync("/api/v1/tasks", new StringContent("type=fib", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await Problems.Assert(response, HttpStatusCode.UnsupportedMediaType, ProblemTypes.UnsupportedMediaType);
        await AssertNothingStored();
    }

    [Fact]
    public async Task A_body_without_content_type_is_read_as_json()
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"type":"plain"}"""));
        using var response = await broker.Http.PostAsync("/api/v1/tasks", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=5000", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("state=sleeping", "state")]
    [InlineData("queue=Bad%20Queue", "queue")]
    public async Task Bad_list_parameters_are_400(string query, string field)
    {
        using var response = await broker.Http.GetAsync($"/api/v1/tasks?{query}");
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, field);
    }

    [Theory]
    [InlineData("timeout=abc")]
    [InlineData("timeout=-1")]
    [InlineData("timeout=100000")]
    public async Task Bad_wait_timeouts_are_400(string query)
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"x"}""")).GetProperty("id").GetString();
        using var response = await broker.Http.GetAsync($"/api/v1/tasks/{id}/wait?{query}");
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, "timeout");
    }

    [Theory]
    [InlineData("""{"worker_id":"w","queues":["default"],"max":0}""", "max")]
    [InlineData("""{"worker_id":"w","queues":["default"],"wait":-1}""", "wait")]
    [InlineData("""{"worker_id":"w","queues":["default"],"lease_duration":0}""", "lease_duration")]
    [InlineData("""{"worker_id":"w","queues":["Nope!"]}""", "queues")]
    [InlineData("""{"queues":["default"]}""", "worker_id")]
    [InlineData("""{"worker_id":"w","queues":"default"}""", "queues")]
    public async Task Bad_lease_requests_are_400(string body, string field)
    {
        await broker.PostOk("/api/v1/tasks", """{"type":"x"}""");
        using var response = await broker.Post("/api/v1/leases", body);
        await Problems.Assert(response, HttpStatusCode.BadRequest, ProblemTypes.Validation, field);
        var page = await broker.GetOk("/api/v1/tasks?state=running");
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_wrong_method_is_405_as_a_problem()
    {
        using var response = await broker.Http.DeleteAsync("/api/v1/tasks");
        await Problems.Assert(response, HttpStatusCode.MethodNotAllowed, ProblemTypes.MethodNotAllowed);
    }

    private async Task AssertNothingStored()
    {
        var page = await broker.GetOk("/api/v1/tasks?limit=10");
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
    }
}
