using System.Globalization;
using System.Net;
using System.Text;
using Conveyor.Server.Auth;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// Tokens rotated without a restart, on a real <c>conveyor server --tokens-file</c> process: a token
/// added to the file is accepted, a removed one gets 401 (and so does a dashboard cookie made with it)
/// within seconds; a file that does not parse keeps the tokens in force and says so in one log line.
/// </summary>
public sealed class TokensReloadProcessTests : IDisposable
{
    /// <summary>The bound of each wait for a reload: the file watch answers at once and the 2 s poll catches what it misses; generous for a busy machine, not a time the test asserts.</summary>
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task A_changed_tokens_file_is_in_force_without_a_restart()
    {
        var first = ApiTokens.Create([Scopes.Admin], "first");
        var second = ApiTokens.Create([Scopes.Admin], "second");
        var third = ApiTokens.Create([Scopes.Submit], "third");
        var file = Path.Combine(_env.Directory, "tokens");
        File.WriteAllText(file, $"# rotated by the test\n{first.Line}\n{second.Line}\n");
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var server = ConveyorProcess.Start(_env.Directory, ["server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath, "--tokens-file", file]);
        await server.WaitForOutput("Conveyor is running");
        var pid = server.Pid;

        var cookie = await SignIn(url, second.Secret);
        Assert.Equal(HttpStatusCode.OK, await Read(url, second.Secret));
        Assert.Equal(HttpStatusCode.OK, await ReadByCookie(url, cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, await Read(url, third.Secret));

        // Rewritten in place: second removed, third added.
        File.WriteAllText(file, $"{first.Line}\n{third.Line}\n");
        await Eventually(async () => await Read(url, third.Secret) == HttpStatusCode.OK, "the added token to be accepted", server);
        Assert.Equal(HttpStatusCode.Unauthorized, await Read(url, second.Secret));
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadByCookie(url, cookie));
        Assert.Equal(HttpStatusCode.OK, await Read(url, first.Secret));

        // A file that does not parse: the tokens in force stay, and the log says why once.
        File.WriteAllText(file, $"{first.Line}\nsha256:not-hex admin broken\n");
        await server.WaitForOutput("was NOT loaded", Soon);
        Assert.Contains("the 2 token(s) in force stay", server.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await Read(url, third.Secret));
        Assert.Equal(HttpStatusCode.OK, await Read(url, first.Secret));

        // Replaced by rename (as editors and config managers write): only third remains.
        var next = file + ".new";
        File.WriteAllText(next, third.Line + "\n");
        File.Move(next, file, overwrite: true);
        await Eventually(async () => await Read(url, first.Secret) == HttpStatusCode.Unauthorized, "the removed token to be refused", server);
        Assert.Equal(HttpStatusCode.OK, await Read(url, third.Secret));

        Assert.Equal(pid, server.Pid);
        Assert.False(server.HasExited);
        Assert.Equal(1, Count(server.Output, "was NOT loaded"));
        Assert.DoesNotContain(first.Secret, server.Output, StringComparison.Ordinal);
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what, ConveyorProcess server)
    {
        var deadline = DateTime.UtcNow + Soon;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"waited {Soon.TotalSeconds} s for {what}; server output:\n{server.Output}");
    }

    private static async Task<string> SignIn(string url, string secret)
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(url) };
        using var signIn = await http.PostAsync("/api/v1/session", new StringContent($$"""{"token":"{{secret}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        return cookies.GetCookieHeader(new Uri(url));
    }

    private static async Task<HttpStatusCode> Read(string url, string secret)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        using var response = await http.GetAsync("/api/v1/tasks?limit=1");
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> ReadByCookie(string url, string cookie)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queues");
        request.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
