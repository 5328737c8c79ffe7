using System.Buffers;
using System.Text.Json;
using Conveyor.Client.Protocol;
using Conveyor.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Conveyor.Server.Http;

/// <summary>
/// Reads a request body as JSON with precise refusals: 415 for a non-JSON content type, 413 past the
/// size limit (checked on Content-Length and while reading), 400 malformed-json for bad syntax, and
/// 400 validation naming the field for a wrong type or an unknown enum value. Nothing is changed
/// before the whole body is known to be good.
/// </summary>
internal static class JsonBody
{
    public static async Task<T> Read<T>(HttpContext ctx, long limit) where T : class
    {
        using var doc = await ReadDocument(ctx, limit);
        try
        {
            return doc.RootElement.Deserialize<T>(ConveyorJson.Options)
                ?? throw ProblemException.Validation("$", "the body must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            throw ProblemException.Validation(FieldOf(e.Path), Clean(e.Message));
        }
    }

    public static async Task<JsonDocument> ReadDocument(HttpContext ctx, long limit)
    {
        var contentType = ctx.Request.ContentType;
        if (contentType is not null && !IsJson(contentType))
            throw new ProblemException(415, ProblemTypes.UnsupportedMediaType, "Unsupported media type", $"send the body as application/json, not {contentType}");
        if (ctx.Request.ContentLength > limit) throw ProblemException.TooLarge(limit);
        var sizeFeature = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = limit + 1;

        var buffer = new ArrayBufferWriter<byte>(4096);
        var body = ctx.Request.Body;
        while (true)
        {
            var span = buffer.GetMemory(16 * 1024);
            var n = await body.ReadAsync(span, ctx.RequestAborted);
            if (n == 0) break;
            buffer.Advance(n);
            if (buffer.WrittenCount > limit) throw ProblemException.TooLarge(limit);
        }
        if (buffer.WrittenCount == 0) throw ProblemException.MalformedJson("a JSON body is required");
        try
        {
            return JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw ProblemException.MalformedJson(Clean(e.Message));
        }
    }

    private static bool IsJson(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>"$.tasks[2].priority" → "tasks[2].priority".</summary>
    internal static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string Clean(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
