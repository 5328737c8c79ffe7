using System.Net;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Auth;

/// <summary>Every answer carries nosniff, no-referrer and DENY; the dashboard's pages carry its CSP; /docs keeps working without one.</summary>
public sealed class SecurityHeadersTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    private readonly Broker broker = fixture.Broker;

    [Theory]
    [InlineData("/")]
    [InlineData("/index.html")]
    [InlineData("/app/main.js")]
    [InlineData("/vendor/chart/chart.umd.js")]
    public async Task Dashboard_paths_carry_the_content_security_policy(string path)
    {
        using var response = await broker.Http.GetAsync(path);
        Assert.Equal(Csp, Header(response, "Content-Security-Policy"));
        AssertCommon(response);
    }

    [Theory]
    [InlineData("/api/v1/queues")]
    [InlineData("/api/v1/session")]
    [InlineData("/api/v1/nowhere")]
    [InlineData("/healthz")]
    [InlineData("/docs/")]
    [InlineData("/docs/scalar.js")]
    public async Task Other_answers_carry_nosniff_and_no_dashboard_policy(string path)
    {
        using var response = await broker.Http.GetAsync(path);
        Assert.Null(Header(response, "Content-Security-Policy"));
        AssertCommon(response);
        if (path.StartsWith("/docs", StringComparison.Ordinal)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static void AssertCommon(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;
}
