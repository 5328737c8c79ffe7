using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Auth;

public sealed class AuthTests : IAsyncLifetime
{
    private const string Admin = "admin-secret", Submit = "submit-secret", Work = "work-secret";
    private Broker broker = null!;

    public async Task InitializeAsync() => broker = await Broker.Start(o =>
    {
        foreach (var t in ApiToken.ParseList($"admin:{Admin},submit:{Submit}")) o.Tokens.Add(t);
        o.Tokens.Add(ApiToken.ParseLine(ApiToken.FromSecret(Work, [Scopes.Work]).ToLine())!);
    });

    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task No_token_or_an_unknown_one_is_401()
    {
        using var none = await broker.Post("/api/v1/tasks", """{"type":"x"}""");
        await Problems.Assert(none, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        Assert.StartsWith("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        using var wrong = await broker.Post("/api/v1/tasks", """{"type":"x"}""", broker.Client("nope"));
        await Problems.Assert(wrong, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        using var compat = await broker.Post("/submit", """{"type":"fib","payload":{"n":3}}""");
        await Problems.Assert(compat, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        Assert.Equal(0, (await broker.GetOk("/api/v1/tasks", broker.Client(Admin))).GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bearer_and_X_API_Token_are_both_accepted(bool apiTokenHeader)
    {
        using var response = await broker.Post("/api/v1/tasks", """{"type":"x"}""", broker.Client(Submit, apiTokenHeader));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Each_scope_reaches_its_routes_and_is_403_elsewhere()
    {
        var submit = broker.Client(Submit);
        var work = broker.Client(Work);
        var admin = broker.Client(Admin);

        using (var r = await broker.Post("/api/v1/tasks", """{"type":"x"}""", work))
            await Problems.Assert(r, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        using (var r = await broker.Post("/api/v1/leases", """{"worker_id":"w","queues":["default"]}""", submit))
            await Problems.Assert(r, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        using (var r = await submit.GetAsync("/api/v1/dead-letters"))
            await Problems.Assert(r, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        using (var r = await broker.Post("/api/v1/queues/default/pause", "", work))
            await Problems.Assert(r, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        using (var r = await work.GetAsync("/metrics"))
            await Problems.Assert(r, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);

        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"x"}""", submit)).GetProperty("id").GetString();
        var (leased, token, _) = await broker.LeaseOne(http: work);
        Assert.Equal(id, leased);
        await broker.GetOk($"/api/v1/tasks/{id}", work);
        await broker.PostOk($"/api/v1/tasks/{id}/complete", $$"""{"lease_token":"{{token}}"}""", work);

        // admin implies every scope
        await broker.PostOk("/api/v1/tasks", """{"type":"y"}""", admin);
        await broker.LeaseOne(http: admin);
        await broker.GetOk("/api/v1/dead-letters", admin);
        await broker.PostOk("/api/v1/queues/default/pause", "", admin);
        using var metrics = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task Health_readiness_and_docs_are_anonymous()
    {
        foreach (var path in new[] { "/healthz", "/readyz", "/openapi/v1.json", "/docs" })
        {
            using var r = await broker.Http.GetAsync(path);
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{path}: {(int)r.StatusCode}");
        }
    }

    [Fact]
    public void Created_tokens_round_trip_through_their_hashed_line()
    {
        var created = ApiTokens.Create([Scopes.Submit, Scopes.Work], "ci");
        Assert.StartsWith("cvy_", created.Secret);
        Assert.StartsWith("sha256:", created.Line);
        Assert.DoesNotContain(created.Secret, created.Line);
        var parsed = ApiToken.ParseLine(created.Line)!;
        Assert.Equal(created.Token.Sha256, parsed.Sha256);
        Assert.True(parsed.Allows(Scopes.Work));
        Assert.False(parsed.Allows(Scopes.Admin));
        Assert.Equal("ci", parsed.Name);
        Assert.Null(ApiToken.ParseLine("  # a comment"));
        Assert.Throws<FormatException>(() => ApiToken.ParseLine("sha256:abc submit"));
        Assert.Throws<FormatException>(() => ApiToken.ParseList("root:secret"));
    }

    [Fact]
    public void Tokens_come_from_the_environment_and_a_tokens_file()
    {
        var file = Path.GetTempFileName();
        File.WriteAllLines(file, ["# tokens", ApiToken.FromSecret("from-file", [Scopes.Work]).ToLine()]);
        var env = new Dictionary<string, string> { ["CONVEYOR_TOKENS"] = "admin:a1,submit+work:b2", ["CONVEYOR_TOKENS_FILE"] = file, ["API_SECRET_TOKEN"] = "seed" };
        var tokens = ApiTokens.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(4, tokens.Count);
        Assert.True(tokens[1].Allows(Scopes.Submit) && tokens[1].Allows(Scopes.Work) && !tokens[1].Allows(Scopes.Admin));
        Assert.True(tokens[3].Allows(Scopes.Admin));
        File.Delete(file);
    }
}
