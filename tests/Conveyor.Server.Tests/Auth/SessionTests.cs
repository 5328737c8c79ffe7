using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Server.Tests.Auth;

/// <summary>The dashboard's sign-in against a real broker with tokens: the cookie, its anti-forgery token, its scopes, sign-out.</summary>
public sealed class SessionTests : IAsyncLifetime
{
    private const string Admin = "admin-secret", Submit = "submit-secret";
    private Broker broker = null!;
    private BrowserSession browser = null!;

    public async Task InitializeAsync()
    {
        broker = await Broker.Start(o =>
        {
            o.Tokens.Add(ApiToken.FromSecret(Admin, [Scopes.Admin], "ops"));
            o.Tokens.Add(ApiToken.FromSecret(Submit, [Scopes.Submit]));
        });
        browser = new BrowserSession(broker.BaseUrl);
    }

    public async Task DisposeAsync()
    {
        browser.Dispose();
        await broker.DisposeAsync();
    }

    [Fact]
    public async Task Signing_in_with_a_good_token_sets_a_safe_cookie_and_answers_the_session()
    {
        using var response = await browser.SignIn(Admin);
        var body = await Broker.Body(response, expectSuccess: true);
        Assert.True(body.GetProperty("auth_required").GetBoolean());
        Assert.True(body.GetProperty("signed_in").GetBoolean());
        Assert.Equal("ops", body.GetProperty("name").GetString());
        Assert.Equal(["admin"], body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("csrf_token").GetString()));

        var cookie = BrowserSession.SetCookie(response, "conveyor.session");
        Assert.NotNull(cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase); // plain http here; see CookieSecurityTests for https
        Assert.DoesNotContain(Admin, cookie, StringComparison.Ordinal);

        var session = await browser.Session();
        Assert.True(session.GetProperty("signed_in").GetBoolean());
        Assert.Equal("ops", session.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_wrong_or_missing_token_is_refused_and_sets_no_cookie()
    {
        using var wrong = await browser.SignIn("nope");
        Assert.Null(BrowserSession.SetCookie(wrong, "conveyor.session"));
        await Problems.Assert(wrong, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        using var missing = await browser.Send("POST", "/api/v1/session", "{}");
        await Problems.Assert(missing, HttpStatusCode.BadRequest, ProblemTypes.Validation, "token");
        var session = await browser.Session();
        Assert.True(session.GetProperty("auth_required").GetBoolean());
        Assert.False(session.GetProperty("signed_in").GetBoolean());
        using var read = await browser.Http.GetAsync("/api/v1/queues");
        await Problems.Assert(read, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task The_cookie_reads_and_an_action_needs_the_anti_forgery_token()
    {
        (await browser.SignIn(Admin)).Dispose();
        using (var read = await browser.Http.GetAsync("/api/v1/queues"))
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        using (var none = await browser.Send("POST", "/api/v1/queues/default/pause", "{}"))
            await Problems.Assert(none, HttpStatusCode.Forbidden, ProblemTypes.Antiforgery);
        using (var forged = await browser.Send("POST", "/api/v1/queues/default/pause", "{}", csrf: "forged"))
            await Problems.Assert(forged, HttpStatusCode.Forbidden, ProblemTypes.Antiforgery);
        Assert.DoesNotContain(await broker.Engine.QueueList(CancellationToken.None), q => q.Name == "default" && q.Paused);

        using var ok = await browser.Send("POST", "/api/v1/queues/default/pause", "{}", csrf: browser.Csrf);
        Assert.True((await Broker.Body(ok, expectSuccess: true)).GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task A_non_admin_tokens_cookie_passes_its_own_scope_and_is_403_on_admin_routes()
    {
        (await browser.SignIn(Submit)).Dispose();
        using (var submit = await browser.Send("POST", "/api/v1/tasks", """{"type":"x"}""", csrf: browser.Csrf))
            Assert.Equal(HttpStatusCode.Created, submit.StatusCode);
        using (var pause = await browser.Send("POST", "/api/v1/queues/default/pause", "{}", csrf: browser.Csrf))
            await Problems.Assert(pause, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        using (var dead = await browser.Http.GetAsync("/api/v1/dead-letters"))
            await Problems.Assert(dead, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
        using (var lease = await browser.Send("POST", "/api/v1/leases", """{"worker_id":"w","queues":["default"]}""", csrf: browser.Csrf))
            await Problems.Assert(lease, HttpStatusCode.Forbidden, ProblemTypes.Forbidden);
    }

    [Fact]
    public async Task A_token_header_needs_no_anti_forgery_token_and_wins_over_the_cookie()
    {
        (await browser.SignIn(Submit)).Dispose();
        using var pause = await browser.Send("POST", "/api/v1/queues/default/pause", "{}", bearer: Admin);
        Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        using var wrong = await browser.Send("POST", "/api/v1/tasks", """{"type":"x"}""", bearer: "nope");
        await Problems.Assert(wrong, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task Signing_out_clears_the_cookie_and_needs_the_anti_forgery_token()
    {
        (await browser.SignIn(Admin)).Dispose();
        using (var forged = await browser.Send("DELETE", "/api/v1/session"))
            await Problems.Assert(forged, HttpStatusCode.Forbidden, ProblemTypes.Antiforgery);

        using var response = await browser.Send("DELETE", "/api/v1/session", csrf: browser.Csrf);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var cleared = BrowserSession.SetCookie(response, "conveyor.session");
        Assert.NotNull(cleared);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(browser.Cookies.GetCookies(broker.BaseUrl), c => c.Name == "conveyor.session");

        using var read = await browser.Http.GetAsync("/api/v1/queues");
        await Problems.Assert(read, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        Assert.False((await browser.Session()).GetProperty("signed_in").GetBoolean());
    }

    [Fact]
    public async Task A_token_removed_from_the_configuration_no_longer_passes_through_its_old_cookie()
    {
        (await browser.SignIn(Submit)).Dispose();
        var stolen = browser.Cookies.GetCookieHeader(broker.BaseUrl);
        using (var before = await browser.Http.GetAsync("/api/v1/queues"))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        var tokens = broker.App.Services.GetRequiredService<ServerOptions>().Tokens;
        tokens.Remove(tokens.Single(t => t.Name is null));

        using var replay = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queues");
        replay.Headers.Add("Cookie", stolen);
        using var after = await broker.Http.SendAsync(replay);
        var problem = await Problems.Assert(after, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        Assert.Equal("The session is no longer valid", problem.GetProperty("title").GetString());
        Assert.Contains("expires=Thu, 01 Jan 1970", BrowserSession.SetCookie(after, "conveyor.session"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_cookie_holds_no_secret_and_a_tampered_one_is_refused()
    {
        (await browser.SignIn(Admin)).Dispose();
        var cookie = browser.Cookies.GetCookies(broker.BaseUrl).Single(c => c.Name == "conveyor.session");
        Assert.DoesNotContain(Admin, cookie.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(ApiToken.FromSecret(Admin, [Scopes.Admin]).Sha256), cookie.Value, StringComparison.Ordinal);

        using var tampered = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queues");
        tampered.Headers.Add("Cookie", $"conveyor.session={cookie.Value[..^4]}AAAA");
        using var response = await broker.Http.SendAsync(tampered);
        await Problems.Assert(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
    }

    [Theory]
    [InlineData("get", "SessionGet")]
    [InlineData("post", "SessionCreate")]
    [InlineData("delete", "SessionDelete")]
    public async Task The_OpenAPI_document_names_the_session_routes(string method, string name)
    {
        var doc = await broker.GetOk("/openapi/v1.json");
        var op = doc.GetProperty("paths").GetProperty("/api/v1/session").GetProperty(method);
        Assert.Equal(name, op.GetProperty("operationId").GetString());
    }

    [Fact]
    public async Task A_sign_in_sent_by_another_sites_page_is_refused_and_one_through_a_proxy_is_not()
    {
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/api/v1/session") { Content = BrowserSession.Json($$"""{"token":"{{Admin}}"}""") };
        forged.Headers.Add("Origin", "https://evil.example");
        forged.Headers.Add("Sec-Fetch-Site", "cross-site");
        using var refused = await browser.Http.SendAsync(forged);
        await Problems.Assert(refused, HttpStatusCode.Forbidden, ProblemTypes.CrossOrigin);
        Assert.Null(BrowserSession.SetCookie(refused, "conveyor.session"));

        // Behind a TLS proxy the page's origin differs from the scheme and Host the broker sees; the browser still says same-origin.
        using var proxied = new HttpRequestMessage(HttpMethod.Post, "/api/v1/session") { Content = BrowserSession.Json($$"""{"token":"{{Admin}}"}""") };
        proxied.Headers.Add("Origin", "https://conveyor.example.com");
        proxied.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var ok = await browser.Http.SendAsync(proxied);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
