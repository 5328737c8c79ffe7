using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.OpenApi;

public sealed class DocsTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private readonly Broker broker = fixture.Broker;

    public static TheoryData<string, string> EveryRoute => new()
    {
        { "/api/v1/tasks", "post" }, { "/api/v1/tasks", "get" }, { "/api/v1/tasks/batch", "post" },
        { "/api/v1/tasks/{id}", "get" }, { "/api/v1/tasks/{id}/wait", "get" }, { "/api/v1/tasks/{id}/cancel", "post" },
        { "/api/v1/leases", "post" }, { "/api/v1/tasks/{id}/complete", "post" }, { "/api/v1/tasks/{id}/fail", "post" },
        { "/api/v1/tasks/{id}/heartbeat", "post" }, { "/api/v1/leases/complete", "post" }, { "/api/v1/leases/fail", "post" },
        { "/api/v1/leases/heartbeat", "post" }, { "/api/v1/leases/release", "post" },
        { "/api/v1/queues", "get" }, { "/api/v1/queues/{name}/pause", "post" }, { "/api/v1/queues/{name}/resume", "post" },
        { "/api/v1/dead-letters", "get" }, { "/api/v1/dead-letters/{id}/retry", "post" }, { "/api/v1/dead-letters/retry", "post" },
        { "/api/v1/dead-letters/{id}", "delete" }, { "/api/v1/workers", "get" }, { "/api/v1/workers/heartbeat", "post" },
        { "/api/v1/workers/{id}", "delete" }, { "/api/v1/events", "get" }, { "/healthz", "get" }, { "/readyz", "get" },
        { "/send-email", "post" }, { "/task", "post" }, { "/task/{id}", "get" }, { "/submit", "post" }, { "/get", "get" },
        { "/ack", "post" }, { "/status/{id}", "get" }, { "/dlq", "get" }, { "/dlq/retry/{id}", "post" },
        { "/tasks/submit", "post" }, { "/tasks/{id}", "get" },
    };

    [Theory]
    [MemberData(nameof(EveryRoute))]
    public async Task The_OpenAPI_document_lists_the_route(string path, string method)
    {
        var doc = await broker.GetOk("/openapi/v1.json");
        Assert.True(doc.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is missing");
        Assert.True(item.TryGetProperty(method, out var op), $"{method} {path} is missing");
        Assert.True(op.TryGetProperty("responses", out _));
    }

    [Fact]
    public async Task The_document_describes_the_models()
    {
        var schemas = (await broker.GetOk("/openapi/v1.json")).GetProperty("components").GetProperty("schemas");
        foreach (var model in new[] { "TaskSubmission", "TaskRecord", "LeaseRequest", "LeaseResponse", "TaskPage", "WorkerInfo" })
            Assert.True(schemas.TryGetProperty(model, out _), $"schema {model} is missing");
    }

    [Fact]
    public async Task Schemas_use_the_wire_names_and_seconds_for_durations()
    {
        var schemas = (await broker.GetOk("/openapi/v1.json")).GetProperty("components").GetProperty("schemas");
        var record = schemas.GetProperty("TaskRecord").GetProperty("properties");
        Assert.True(record.TryGetProperty("max_attempts", out _), record.ToString());
        Assert.True(record.TryGetProperty("lease_deadline", out _));
        Assert.False(record.TryGetProperty("maxAttempts", out _));
        var timeout = record.GetProperty("timeout");
        var type = timeout.TryGetProperty("type", out var t) ? t.ToString() : timeout.ToString();
        Assert.Contains("number", type, StringComparison.Ordinal);
        Assert.True(schemas.GetProperty("LeaseRequest").GetProperty("properties").TryGetProperty("lease_duration", out _));
    }

    [Fact]
    public async Task The_docs_page_serves_html()
    {
        using var response = await broker.Http.GetAsync("/docs");
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        // The page's script is served by the broker itself: the docs work offline, with no CDN.
        Assert.Contains("src=\"scalar.js\"", html, StringComparison.Ordinal);
        Assert.EndsWith("/docs/", response.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        using var script = await broker.Http.GetAsync("/docs/scalar.js");
        Assert.True(script.IsSuccessStatusCode, $"{(int)script.StatusCode}");
    }
}
