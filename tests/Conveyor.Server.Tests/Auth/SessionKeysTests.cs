using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Server.Tests.Auth;

/// <summary>Which broker accepts a session cookie: one sharing the Data Protection keys does, any other (or a restart with in-memory keys) does not; and the session slides, then ends.</summary>
public sealed class SessionKeysTests : IDisposable
{
    private const string Admin = "admin-secret";
    private readonly string keys = Directory.CreateTempSubdirectory("conveyor-keys-").FullName;

    public void Dispose() => Directory.Delete(keys, recursive: true);

    private static Task<Broker> Start(string? keysPath, TimeProvider? time = null) => Broker.Start(o =>
    {
        o.Tokens.Add(ApiToken.FromSecret(Admin, [Scopes.Admin]));
        o.DataProtectionKeysPath = keysPath;
    }, time);

    private static async Task<HttpStatusCode> ReadWith(Broker broker, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queues");
        request.Headers.Add("Cookie", cookie);
        using var response = await broker.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string> SignIn(Broker broker)
    {
        using var browser = new BrowserSession(broker.BaseUrl);
        (await browser.SignIn(Admin)).Dispose();
        return browser.Cookies.GetCookieHeader(broker.BaseUrl);
    }

    [Fact]
    public async Task Brokers_sharing_the_keys_directory_accept_each_others_cookies_and_others_do_not()
    {
        await using var first = await Start(keys);
        var cookie = await SignIn(first);
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));

        await using var second = await Start(keys);
        await using var stranger = await Start(keysPath: null);
        Assert.Equal(HttpStatusCode.OK, await ReadWith(first, cookie));
        Assert.Equal(HttpStatusCode.OK, await ReadWith(second, cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWith(stranger, cookie));
    }

    [Fact]
    public async Task A_restarted_broker_with_in_memory_keys_has_signed_everyone_out()
    {
        string cookie;
        await using (var before = await Start(keysPath: null))
        {
            cookie = await SignIn(before);
            Assert.Equal(HttpStatusCode.OK, await ReadWith(before, cookie));
        }
        await using var after = await Start(keysPath: null);
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadWith(after, cookie));
    }

    [Fact]
    public async Task The_session_slides_while_used_and_ends_after_its_lifetime_unused()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var broker = await Start(keysPath: null, time);
        using var browser = new BrowserSession(broker.BaseUrl);
        (await browser.SignIn(Admin)).Dispose();

        // Used every 5 h, an 8 h session stays alive (the cookie is renewed past half its life)...
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromHours(5));
            using var used = await browser.Http.GetAsync("/api/v1/queues");
            Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        }
        // ...and left alone past 8 h it is over.
        time.Advance(TimeSpan.FromHours(8.5));
        using var late = await browser.Http.GetAsync("/api/v1/queues");
        await Problems.Assert(late, HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
    }

    [Fact]
    public void A_keys_directory_that_cannot_be_made_is_refused_at_start()
    {
        var file = Path.Combine(keys, "a-file");
        File.WriteAllText(file, "");
        var e = Assert.Throws<Conveyor.Server.Hosting.ServerConfigurationException>(() =>
            ConveyorServer.Validate(new ServerOptions { DataProtectionKeysPath = Path.Combine(file, "keys") }));
        Assert.Contains("data protection keys directory", e.Message, StringComparison.Ordinal);
    }
}
