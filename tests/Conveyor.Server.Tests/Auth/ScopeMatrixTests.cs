using System.Net;
using System.Text;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Auth;

/// <summary>Every protected route: 401 without a token, 403 for a token without its scope, through with one (admin always).</summary>
public sealed class ScopeMatrixTests : IAsyncLifetime
{
    private const string Id = "0190b3a4-0000-7000-8000-000000000000";
    private static readonly Dictionary<string, string> Secrets = new() { [Scopes.Submit] = "s-secret", [Scopes.Work] = "w-secret", [Scopes.Admin] = "a-secret" };
    private Broker broker = null!;

    public async Task InitializeAsync() => broker = await Broker.Start(o =>
    {
        foreach (var (scope, secret) in Secrets) o.Tokens.Add(ApiToken.FromSecret(secret, [scope]));
    });

    public async Task DisposeAsync() => await broker.DisposeAsync();

    public static TheoryData<string, string, string> Rules => new()
    {
        { "POST", "/api/v1/tasks", "submit" }, { "POST", "/api/v1/tasks/batch", "submit" }, { "POST", $"/api/v1/tasks/{Id}/cancel", "submit" },
        { "GET", $"/api/v1/tasks/{Id}", "submit,work" }, { "GET", $"/api/v1/tasks/{Id}/wait?timeout=0", "submit,work" }, { "GET", "/api/v1/tasks", "submit,work" },
        { "GET", "/api/v1/queues", "submit,work" }, { "GET", "/api/v1/workers", "submit,work" }, { "GET", "/api/v1/events", "submit,work" },
        { "POST", "/api/v1/leases", "work" }, { "POST", $"/api/v1/tasks/{Id}/complete", "work" }, { "POST", $"/api/v1/tasks/{Id}/fail", "work" },
        { "POST", $"/api/v1/tasks/{Id}/heartbeat", "work" }, { "POST", "/api/v1/leases/complete", "work" }, { "POST", "/api/v1/leases/fail", "work" },
        { "POST", "/api/v1/leases/heartbeat", "work" }, { "POST", "/api/v1/leases/release", "work" }, { "POST", "/api/v1/workers/heartbeat", "work" },
        { "DELETE", "/api/v1/workers/w1", "work" },
        { "POST", "/api/v1/queues/default/pause", "admin" }, { "POST", "/api/v1/queues/default/resume", "admin" }, { "GET", "/api/v1/dead-letters", "admin" },
        { "POST", $"/api/v1/dead-letters/{Id}/retry", "admin" }, { "POST", "/api/v1/dead-letters/retry", "admin" }, { "DELETE", $"/api/v1/dead-letters/{Id}", "admin" },
        { "GET", "/metrics", "admin" },
        { "POST", "/api/v1/workers/w1/quiet", "admin" }, { "POST", "/api/v1/workers/w1/stop", "admin" }, { "GET", "/api/v1/task-types", "submit,work" },
        { "POST", $"/api/v1/tasks/{Id}/retry", "admin" }, { "DELETE", $"/api/v1/tasks/{Id}", "admin" }, { "POST", "/api/v1/tasks/bulk", "admin" },
        { "GET", "/api/v1/bulk-actions", "admin" }, { "GET", "/api/v1/dead-letters/groups", "admin" },
        { "POST", "/send-email", "submit" }, { "POST", "/task", "submit" }, { "GET", $"/task/{Id}", "submit,work" }, { "POST", "/submit", "submit" },
        { "GET", "/get", "work" }, { "POST", "/ack", "work" }, { "GET", $"/status/{Id}", "submit,work" }, { "GET", "/dlq", "admin" },
        { "POST", $"/dlq/retry/{Id}", "admin" }, { "POST", "/tasks/submit", "submit" }, { "GET", $"/tasks/{Id}", "submit,work" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task The_route_enforces_its_scopes(string method, string path, string allowed)
    {
        using (var anonymous = await Send(method, path, null))
            await Problems.Assert(anonymous, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);

        foreach (var scope in Scopes.All)
        {
            using var response = await Send(method, path, Secrets[scope]);
            if (scope == Scopes.Admin || allowed.Split(',').Contains(scope))
                Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{scope} refused on {method} {path}");
            else
                await Problems.Assert(response, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        }
    }

    private async Task<HttpResponseMessage> Send(string method, string path, string? token)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (token is not null) request.Headers.Add("X-API-Token", token);
        return await broker.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}
