using System.Text.Json;
using Conveyor.Client.Protocol;

namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// Before a worker starts its loops, it asks the broker who its token is (<c>GET /api/v1/session</c>):
/// a token the broker does not accept, or one without the work scope, stops <c>conveyor worker</c>
/// with one line and exit code 4, instead of a worker that runs and is refused on every poll.
/// A broker that cannot be reached yet is not an error here: the worker waits for it, as in a
/// compose file that starts workers with the broker.
/// </summary>
internal static class BrokerTokenCheck
{
    public static async Task Check(Uri baseAddress, string url, string? token, CancellationToken ct)
    {
        // A client of its own: the answer sets an anti-forgery cookie that the worker's client must not carry.
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, Routes.Session.TrimStart('/'));
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return;
        }
        using (response)
        {
            var refused = $"the broker at {url} refused the token";
            var fix = token is null ? "give one with --token or CONVEYOR_TOKEN" : "check --token / CONVEYOR_TOKEN / API_SECRET_TOKEN";
            if ((int)response.StatusCode is 401 or 403)
                throw new CliException($"{refused} ({(int)response.StatusCode}): {fix}", ExitCodes.Unavailable);
            if (!response.IsSuccessStatusCode) return; // an older broker without the route: the loops will tell
            using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
            var root = doc.RootElement;
            if (!root.TryGetProperty("auth_required", out var required) || !required.GetBoolean()) return;
            if (!root.GetProperty("signed_in").GetBoolean())
                throw new CliException(token is null ? $"the broker at {url} needs a token: {fix}" : $"{refused}: no token it knows matches; {fix}", ExitCodes.Unavailable);
            var scopes = root.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ToList();
            if (!scopes.Contains("work") && !scopes.Contains("admin"))
                throw new CliException($"the token is not allowed to work tasks on {url} (its scopes: {string.Join(",", scopes)}); a worker needs the work scope", ExitCodes.Unavailable);
        }
    }
}
