using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Conveyor.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Tests.Security;

/// <summary>
/// On a server WITH tokens, even with ASP.NET Core's forwarded-headers middleware switched on
/// (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>, given here as its configuration key),
/// <c>X-Forwarded-For</c> and <c>Forwarded</c> never change who the client is: the address the
/// server keeps (and limits) is the connection's peer. The open server's side is OpenServerTests.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string Secret = "fw-admin";

    private static async Task<WebApplication> Start(Action<ServerOptions> configure)
    {
        var options = new ServerOptions { Host = "127.0.0.1", Port = 0 };
        options.Tokens.Add(ApiToken.FromSecret(Secret, [Scopes.Admin]));
        configure(options);
        var builder = ConveyorServer.CreateBuilder(options, sp => new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, TimeProvider.System),
            ["--FORWARDEDHEADERS_ENABLED=true"]);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapConveyor();
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task Forwarded_headers_name_no_client_on_a_server_with_tokens()
    {
        await using var app = await Start(o => { o.RateLimitPerAddress = 3; o.RateLimitWindow = TimeSpan.FromHours(1); });
        var forwarded = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value.ForwardedHeaders;
        Assert.False(forwarded.HasFlag(ForwardedHeaders.XForwardedFor), forwarded.ToString());
        // The middleware is on (the setting reached it): X-Forwarded-Proto is still honoured for TLS proxies.
        Assert.True(forwarded.HasFlag(ForwardedHeaders.XForwardedProto), forwarded.ToString());

        using var http = new HttpClient { BaseAddress = new Uri(app.Addresses().Single()) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Secret);
        // Were any of these believed, each request would count for another address and none would be limited.
        string[][] claims =
        [
            ["X-Forwarded-For", "203.0.113.7"], ["X-Forwarded-For", "127.0.0.1"], ["Forwarded", "for=198.51.100.9;proto=https"],
            ["X-Forwarded-For", "::1, 10.1.2.3"],
        ];
        var statuses = new List<HttpStatusCode>();
        foreach (var claim in claims)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Routes.Queues);
            request.Headers.TryAddWithoutValidation(claim[0], claim[1]);
            using var response = await http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task A_forwarded_loopback_address_grants_nothing_on_a_server_with_tokens()
    {
        await using var app = await Start(_ => { });
        using var http = new HttpClient { BaseAddress = new Uri(app.Addresses().Single()) };
        foreach (var (name, value) in new[] { ("X-Forwarded-For", "127.0.0.1"), ("Forwarded", "for=127.0.0.1"), ("X-Forwarded-For", "[::1]") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Routes.Queues);
            request.Headers.TryAddWithoutValidation(name, value);
            using var response = await http.SendAsync(request);
            await Problems.Assert(response, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        }
    }
}
