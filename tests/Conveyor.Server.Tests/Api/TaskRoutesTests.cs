using System.Diagnostics;
using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Api;

public sealed class TaskRoutesTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task The_task_view_carries_the_trace_id_of_its_traceparent_and_none_without_one()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var traced = await broker.PostOk("/api/v1/tasks", $$$"""{"type":"fib","metadata":{"traceparent":"00-{{{traceId}}}-00f067aa0ba902b7-01"}}""");
        Assert.Equal(traceId, (await broker.GetOk($"/api/v1/tasks/{traced.GetProperty("id").GetString()}")).GetProperty("trace_id").GetString());
        var plain = await broker.PostOk("/api/v1/tasks", """{"type":"fib"}""");
        Assert.False((await broker.GetOk($"/api/v1/tasks/{plain.GetProperty("id").GetString()}")).TryGetProperty("trace_id", out _)); // null fields are left out
    }

    [Fact]
    public async Task Submit_answers_201_with_the_task_and_get_returns_it()
    {
        using var response = await broker.Post("/api/v1/tasks", """{"type":"fib","args":{"n":10},"queue":"math","priority":7,"metadata":{"tag":"a"}}""");
        var task = await Broker.Body(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = task.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/tasks/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("pending", task.GetProperty("state").GetString());
        Assert.Equal(7, task.GetProperty("priority").GetInt32());

        var got = await broker.GetOk($"/api/v1/tasks/{id}");
        Assert.Equal("fib", got.GetProperty("type").GetString());
        Assert.Equal("math", got.GetProperty("queue").GetString());
        Assert.Equal(10, got.GetProperty("args").GetProperty("n").GetInt32());
        Assert.Equal("a", got.GetProperty("metadata").GetProperty("tag").GetString());
    }

    [Fact]
    public async Task A_repeated_idempotency_key_answers_200_with_the_first_task()
    {
        const string body = """{"type":"email.send","idempotency_key":"order-42"}""";
        using var first = await broker.Post("/api/v1/tasks", body);
        using var second = await broker.Post("/api/v1/tasks", body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((await Broker.Body(first)).GetProperty("id").GetString(), (await Broker.Body(second)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Batch_submits_every_task_in_order()
    {
        var body = await broker.PostOk("/api/v1/tasks/batch", """{"tasks":[{"type":"a"},{"type":"b","delay":60},{"type":"c"}]}""");
        var results = body.GetProperty("results");
        Assert.Equal(3, results.GetArrayLength());
        Assert.Equal(["a", "b", "c"], results.EnumerateArray().Select(r => r.GetProperty("task").GetProperty("type").GetString()!).ToArray());
        Assert.True(results.EnumerateArray().All(r => r.GetProperty("created").GetBoolean()));
        Assert.Equal("scheduled", results[1].GetProperty("task").GetProperty("state").GetString());
    }

    [Fact]
    public async Task List_filters_and_pages_with_a_cursor()
    {
        for (var i = 0; i < 5; i++) await broker.PostOk("/api/v1/tasks", """{"type":"page.me","queue":"paged"}""");
        await broker.PostOk("/api/v1/tasks", """{"type":"other","queue":"paged"}""");

        var first = await broker.GetOk("/api/v1/tasks?queue=paged&type=page.me&state=pending&limit=3");
        Assert.Equal(3, first.GetProperty("items").GetArrayLength());
        var cursor = first.GetProperty("next_cursor").GetString();
        Assert.NotNull(cursor);
        var second = await broker.GetOk($"/api/v1/tasks?queue=paged&type=page.me&limit=3&cursor={cursor}");
        Assert.Equal(2, second.GetProperty("items").GetArrayLength());
        var ids = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(t => t.GetProperty("id").GetString()).ToHashSet();
        Assert.Equal(5, ids.Count);
    }

    [Fact]
    public async Task Cancel_cancels_a_pending_task_and_unknown_ids_are_404()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"x"}""")).GetProperty("id").GetString();
        var result = await broker.PostOk($"/api/v1/tasks/{id}/cancel", "{}");
        Assert.Equal("cancelled", result.GetProperty("outcome").GetString());
        Assert.Equal("cancelled", (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("state").GetString());

        var again = await broker.PostOk($"/api/v1/tasks/{id}/cancel", "{}");
        Assert.Equal("already_terminal", again.GetProperty("outcome").GetString());

        var missing = Guid.CreateVersion7().ToString();
        using var cancel404 = await broker.Post($"/api/v1/tasks/{missing}/cancel", "{}");
        await Problems.Assert(cancel404, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        using var get404 = await broker.Http.GetAsync($"/api/v1/tasks/{missing}");
        await Problems.Assert(get404, HttpStatusCode.NotFound, ProblemTypes.NotFound);
        using var noRoute = await broker.Http.GetAsync("/api/v1/nothing-here");
        await Problems.Assert(noRoute, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Wait_is_woken_by_the_completion_well_before_its_timeout()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"slow"}""")).GetProperty("id").GetString();
        var clock = Stopwatch.StartNew();
        var waiting = broker.Http.GetAsync($"/api/v1/tasks/{id}/wait?timeout=30");
        var (leasedId, token, _) = await broker.LeaseOne();
        Assert.Equal(id, leasedId);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted, "wait answered before the task was terminal");
        await broker.PostOk($"/api/v1/tasks/{id}/complete", $$$"""{"lease_token":"{{{token}}}","result":{"ok":true}}""");

        using var response = await waiting;
        var task = await Broker.Body(response, expectSuccess: true);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"wait took {clock.Elapsed}");
        Assert.Equal("succeeded", task.GetProperty("state").GetString());
        Assert.True(task.GetProperty("result").GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Wait_answers_the_unfinished_task_when_the_timeout_passes()
    {
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"never"}""")).GetProperty("id").GetString();
        var task = await broker.GetOk($"/api/v1/tasks/{id}/wait?timeout=0.3");
        Assert.Equal("pending", task.GetProperty("state").GetString());
    }
}
