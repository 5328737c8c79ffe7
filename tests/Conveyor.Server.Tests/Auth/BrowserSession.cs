using System.Net;
using System.Text;
using System.Text.Json;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Auth;

/// <summary>
/// What the dashboard does from a browser: a client that keeps cookies, signs in with a token through
/// <c>POST /api/v1/session</c> and sends the anti-forgery token back in <c>X-CSRF-Token</c>.
/// </summary>
internal sealed class BrowserSession : IDisposable
{
    public BrowserSession(Uri baseUrl, HttpMessageHandler? handler = null)
    {
        Cookies = new CookieContainer();
        var inner = handler as HttpClientHandler ?? new HttpClientHandler();
        inner.CookieContainer = Cookies;
        inner.UseCookies = true;
        Http = new HttpClient(inner) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(1) };
    }

    public CookieContainer Cookies { get; }
    public HttpClient Http { get; }
    /// <summary>The csrf_token of the last session answer.</summary>
    public string? Csrf { get; private set; }

    public async Task<HttpResponseMessage> SignIn(string token)
    {
        var response = await Http.PostAsync("/api/v1/session", Json(JsonSerializer.Serialize(new { token })));
        if (response.IsSuccessStatusCode) Csrf = (await Broker.Body(response)).GetProperty("csrf_token").GetString();
        return response;
    }

    public async Task<JsonElement> Session()
    {
        using var response = await Http.GetAsync("/api/v1/session");
        var body = await Broker.Body(response, expectSuccess: true);
        Csrf = body.GetProperty("csrf_token").GetString();
        return body;
    }

    /// <summary>Sends a request with the session's cookies, and with <c>X-CSRF-Token</c> when <paramref name="csrf"/> is given.</summary>
    public Task<HttpResponseMessage> Send(string method, string path, string? json = null, string? csrf = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json is not null) request.Content = Json(json);
        if (csrf is not null) request.Headers.Add("X-CSRF-Token", csrf);
        if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
        return Http.SendAsync(request);
    }

    /// <summary>The <c>Set-Cookie</c> line of the named cookie in a response, or null.</summary>
    public static string? SetCookie(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith(name + "=", StringComparison.Ordinal)) : null;

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public void Dispose() => Http.Dispose();
}
