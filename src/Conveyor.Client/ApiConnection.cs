using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Conveyor.Client.Protocol;
using Conveyor.Json;

namespace Conveyor.Client;

/// <summary>The HTTP plumbing shared by <see cref="ConveyorClient"/> and <see cref="HttpWorkerGateway"/>.</summary>
internal sealed class ApiConnection(HttpClient http, string? token)
{
    public async Task<HttpResponseMessage> Send(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        if (http.BaseAddress is null) throw new InvalidOperationException("the HttpClient needs a BaseAddress: the broker's URL");
        using var request = new HttpRequestMessage(method, new Uri(http.BaseAddress, path));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = Json(body);
        return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The body serialised up front, with a Content-Length. JsonContent streams without a length, so
    /// every request went out chunked: more bytes, and a chunked parse on the broker for each call.
    /// </summary>
    private static ByteArrayContent Json(object body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), ConveyorJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json", "utf-8");
        return content;
    }

    /// <summary>Sends and reads a success body; any error status throws <see cref="ConveyorApiException"/>.</summary>
    public async Task<T> Call<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var response = await Send(method, path, body, ct).ConfigureAwait(false);
        await EnsureSuccess(response, ct).ConfigureAwait(false);
        return await Read<T>(response, ct).ConfigureAwait(false);
    }

    public static async Task<T> Read<T>(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<T>(ConveyorJson.Options, ct).ConfigureAwait(false)
            ?? throw new JsonException($"the broker answered {(int)response.StatusCode} with an empty body");

    public static async Task EnsureSuccess(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        throw new ConveyorApiException(await ReadProblem(response, ct).ConfigureAwait(false));
    }

    public static async Task<Problem> ReadProblem(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        try
        {
            if (JsonSerializer.Deserialize<Problem>(text, ConveyorJson.Options) is { Type: not null } p) return p;
        }
        catch (JsonException) { }
        return new Problem
        {
            Type = "about:blank",
            Title = response.ReasonPhrase ?? ((HttpStatusCode)response.StatusCode).ToString(),
            Status = (int)response.StatusCode,
            Detail = text.Length > 500 ? text[..500] : text,
        };
    }
}
