using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;
using Conveyor.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Conveyor.Server.Tests.Auth;

/// <summary>
/// A server without tokens is open, for this machine only: a browser page of another site (or of a
/// domain re-pointed at 127.0.0.1) cannot act through it; curl, the .NET client and same-origin pages can.
/// </summary>
public sealed class OpenServerTests : IAsyncLifetime
{
    private const string Allowed = "http://localhost:3000";
    private Broker broker = null!;

    public async Task InitializeAsync() => broker = await Broker.Start(o => o.CorsOrigins.Add(Allowed));

    public async Task DisposeAsync() => await broker.DisposeAsync();

    private async Task<HttpResponseMessage> Submit(Action<HttpRequestMessage> headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tasks") { Content = BrowserSession.Json("""{"type":"x"}""") };
        headers(request);
        return await broker.Http.SendAsync(request);
    }

    [Theory]
    [InlineData("Origin", "http://evil.example")]
    [InlineData("Origin", "null")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    public async Task A_cross_origin_action_is_refused_and_changes_nothing(string header, string value)
    {
        using var response = await Submit(r => r.Headers.Add(header, value));
        await Problems.Assert(response, HttpStatusCode.Forbidden, ProblemTypes.CrossOrigin);
        Assert.Equal(0, (await broker.GetOk("/api/v1/tasks")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_same_origin_no_origin_and_a_CORS_allowed_origin_may_act()
    {
        var own = broker.BaseUrl.GetLeftPart(UriPartial.Authority);
        using (var same = await Submit(r => { r.Headers.Add("Origin", own); r.Headers.Add("Sec-Fetch-Site", "same-origin"); }))
            Assert.Equal(HttpStatusCode.Created, same.StatusCode);
        using (var curl = await Submit(_ => { }))
            Assert.Equal(HttpStatusCode.Created, curl.StatusCode);
        using (var cors = await Submit(r => { r.Headers.Add("Origin", Allowed); r.Headers.Add("Sec-Fetch-Site", "same-site"); }))
            Assert.Equal(HttpStatusCode.Created, cors.StatusCode);
        Assert.Equal(3, (await broker.GetOk("/api/v1/tasks")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_read_from_another_origin_is_answered_as_CORS_allows()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queues");
        request.Headers.Add("Origin", "http://evil.example");
        using var response = await broker.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_host_name_that_is_not_loopback_is_refused_against_DNS_rebinding()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queues");
        request.Headers.Host = "rebound.example:" + broker.BaseUrl.Port;
        using var response = await broker.Http.SendAsync(request);
        await Problems.Assert(response, HttpStatusCode.Forbidden, ProblemTypes.CrossOrigin);
        using var local = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queues");
        local.Headers.Host = "localhost:" + broker.BaseUrl.Port;
        using var ok = await broker.Http.SendAsync(local);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task The_session_says_no_sign_in_is_needed()
    {
        var session = await broker.GetOk("/api/v1/session");
        Assert.False(session.GetProperty("auth_required").GetBoolean());
        Assert.False(session.GetProperty("signed_in").GetBoolean());
        Assert.Contains("admin", session.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        using var signIn = await broker.Post("/api/v1/session", """{"token":"anything"}""");
        await Problems.Assert(signIn, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("::ffff:203.0.113.7")]
    [InlineData("2001:db8::7")]
    public async Task Forwarded_headers_never_make_a_remote_peer_count_as_loopback(string peer)
    {
        var passed = false;
        var guard = new OpenServerGuard(_ => { passed = true; return Task.CompletedTask; }, new ServerOptions());
        var ctx = new DefaultHttpContext();
        ctx.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        ctx.Request.Method = "GET";
        ctx.Request.Host = new HostString("127.0.0.1", 8000);
        ctx.Request.Headers["X-Forwarded-For"] = "127.0.0.1";
        ctx.Request.Headers["X-Real-IP"] = "127.0.0.1";
        ctx.Request.Headers["Forwarded"] = "for=127.0.0.1;host=127.0.0.1;proto=http";
        ctx.Response.Body = new MemoryStream();
        await guard.InvokeAsync(ctx);
        Assert.False(passed);
        Assert.Equal(403, ctx.Response.StatusCode);

        ctx.Connection.RemoteIpAddress = IPAddress.Parse(peer.StartsWith("::ffff:", StringComparison.Ordinal) ? "::ffff:127.0.0.1" : "127.0.0.1");
        ctx.Response.StatusCode = 200;
        await guard.InvokeAsync(ctx);
        Assert.True(passed);
    }

    [Fact]
    public async Task The_real_server_ignores_forwarded_headers()
    {
        // Were forwarded headers honoured, this would claim https and another host: the cookie would turn Secure, the host check would refuse.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/session");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "evil.example");
        using var response = await broker.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var antiforgery = BrowserSession.SetCookie(response, "conveyor.antiforgery");
        Assert.NotNull(antiforgery);
        Assert.DoesNotContain("secure", antiforgery, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_open_server_ignores_forwarded_headers_even_when_ASP_NET_is_told_to_apply_them()
    {
        var options = new ServerOptions { Port = 0 };
        var builder = ConveyorServer.CreateBuilder(options, sp => new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }),
            ["--FORWARDEDHEADERS_ENABLED=true"]);
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapConveyor();
        app.MapGet("/test/peer", (HttpContext ctx) => $"{ctx.Request.Scheme} {ctx.Connection.RemoteIpAddress}");
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Addresses().Single()) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/test/peer");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await http.SendAsync(request);
        Assert.Equal("http 127.0.0.1", await response.Content.ReadAsStringAsync());
        await app.StopAsync();
    }
}
