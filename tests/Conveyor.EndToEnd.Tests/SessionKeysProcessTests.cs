using System.Globalization;
using System.Net;
using System.Text;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// Real <c>conveyor server</c> processes: a dashboard session survives a broker restart when the
/// broker keeps its keys in <c>--data-protection-keys DIR</c>, and does not when it keeps them in memory.
/// </summary>
public sealed class SessionKeysProcessTests : IDisposable
{
    private const string Secret = "e2e-admin-secret";
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private async Task<ConveyorProcess> Server(int port, params string[] extra)
    {
        var env = new Dictionary<string, string> { ["CONVEYOR_TOKENS"] = $"admin:{Secret}" };
        var server = ConveyorProcess.Start(_env.Directory, env,
            ["server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath, .. extra]);
        await server.WaitForOutput("Conveyor is running");
        return server;
    }

    private static async Task<HttpStatusCode> Read(string url, string cookie)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queues");
        request.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_session_survives_a_restart_only_with_a_keys_directory()
    {
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var keys = Path.Combine(_env.Directory, "keys");

        string cookie;
        await using (var first = await Server(port, "--data-protection-keys", keys))
        {
            var cookies = new CookieContainer();
            using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(url) };
            using var signIn = await http.PostAsync("/api/v1/session", new StringContent($$"""{"token":"{{Secret}}"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            cookie = cookies.GetCookieHeader(new Uri(url));
            Assert.Contains("conveyor.session=", cookie, StringComparison.Ordinal);
            first.Terminate();
            await first.WaitForExit(TimeSpan.FromSeconds(30));
        }
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));

        await using (var again = await Server(port, "--data-protection-keys", keys))
        {
            Assert.Equal(HttpStatusCode.OK, await Read(url, cookie));
            again.Terminate();
            await again.WaitForExit(TimeSpan.FromSeconds(30));
        }
        await using var inMemory = await Server(port);
        Assert.Equal(HttpStatusCode.Unauthorized, await Read(url, cookie));
    }
}
