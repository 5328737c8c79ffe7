using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Security;

/// <summary>
/// Rate limits on a real broker: per token (whatever address sends it) and per client address
/// (whatever token, or none, it carries). The window is long (1 h) so nothing replenishes during the
/// test: the counts are exact, not a race with the clock.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public async Task A_token_over_its_limit_gets_429_with_Retry_After_and_other_tokens_go_on()
    {
        await using var broker = await Broker.Start(o =>
        {
            o.Tokens.Add(ApiToken.FromSecret("rl-one", [Scopes.Admin], "one"));
            o.Tokens.Add(ApiToken.FromSecret("rl-two", [Scopes.Admin], "two"));
            o.RateLimitPerToken = 3;
            o.RateLimitWindow = Hour;
        });
        using var one = broker.Client("rl-one");
        using var oneByHeader = broker.Client("rl-one", apiTokenHeader: true);
        using var two = broker.Client("rl-two");
        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.OK, (await one.GetAsync(Routes.Queues)).StatusCode);
        // The third permit, sent in the other header: the limit is the token's, not the header's.
        Assert.Equal(HttpStatusCode.OK, (await oneByHeader.GetAsync(Routes.Queues)).StatusCode);

        using var refused = await one.GetAsync(Routes.Queues);
        await Problems.Assert(refused, HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        var retry = Assert.Single(refused.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retry, System.Globalization.CultureInfo.InvariantCulture), 1, 3600);

        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync(Routes.Queues)).StatusCode);
        // Health probes are never limited; nothing was submitted by the refused request.
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync(Routes.Healthz)).StatusCode);
    }

    [Fact]
    public async Task An_address_over_its_limit_gets_429_whatever_token_it_sends()
    {
        await using var broker = await Broker.Start(o =>
        {
            o.Tokens.Add(ApiToken.FromSecret("ra-one", [Scopes.Admin]));
            o.Tokens.Add(ApiToken.FromSecret("ra-two", [Scopes.Admin]));
            o.RateLimitPerAddress = 4;
            o.RateLimitWindow = Hour;
        });
        using var one = broker.Client("ra-one");
        using var two = broker.Client("ra-two");
        using var wrong = broker.Client("ra-wrong");
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync(Routes.Queues)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync(Routes.Queues)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(Routes.Queues)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await broker.Http.GetAsync(Routes.Queues)).StatusCode);

        // Guessing tokens from one address is limited like everything else from it.
        using var guess = await wrong.GetAsync(Routes.Queues);
        await Problems.Assert(guess, HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        using var refused = await two.PostAsync(Routes.Tasks, new StringContent("""{"type":"x"}""", System.Text.Encoding.UTF8, "application/json"));
        await Problems.Assert(refused, HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        Assert.True(refused.Headers.Contains("Retry-After"));
        Assert.Empty((await broker.Engine.List(new Conveyor.Store.TaskListParams(Limit: 10), default)).Items);
    }

    [Fact]
    public async Task Limits_are_off_by_default()
    {
        var defaults = new ServerOptions();
        Assert.Equal(0, defaults.RateLimitPerToken);
        Assert.Equal(0, defaults.RateLimitPerAddress);
        await using var broker = await Broker.Start();
        for (var i = 0; i < 200; i++)
        {
            using var response = await broker.Http.GetAsync(Routes.Queues);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Bad_limits_are_refused_at_start()
    {
        var e = await Assert.ThrowsAsync<Conveyor.Server.Hosting.ServerConfigurationException>(() => Broker.Start(o => o.RateLimitPerAddress = -1));
        Assert.Contains("RateLimit", e.Message, StringComparison.Ordinal);
    }
}
