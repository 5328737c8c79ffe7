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
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static async Task<T> Read<T>(HttpContext ctx, long limit) where T : class
    {
        using var body = await ReadBytes(ctx, limit);
        // Hot path (every submit and ack): deserialize straight from the bytes, one pass. Any refusal
        // re-reads the body through the precise path below, so what a bad body is told (malformed-json
        // or the field in error) is exactly what it was before; only good bodies take the short cut.
        try
        {
            if (JsonSerializer.Deserialize<T>(body.Span, ConveyorJson.Options) is { } value) return value;
        }
        catch (JsonException) { }
        using var doc = Parse(body);
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
        using var body = await ReadBytes(ctx, limit);
        return Parse(body);
    }

    private static JsonDocument Parse(PooledBody body)
    {
        try
        {
            // Parse keeps the memory it is given: it gets its own copy, never the pooled buffer.
            return JsonDocument.Parse(body.Memory.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            throw ProblemException.MalformedJson(Clean(e.Message));
        }
    }

    /// <summary>The whole body in a pooled buffer (sized from Content-Length when sent), with the size and media-type refusals.</summary>
    private static async Task<PooledBody> ReadBytes(HttpContext ctx, long limit)
    {
        var contentType = ctx.Request.ContentType;
        if (contentType is not null && !IsJson(contentType))
            throw new ProblemException(415, ProblemTypes.UnsupportedMediaType, "Unsupported media type", $"send the body as application/json, not {contentType}");
        var declared = ctx.Request.ContentLength;
        if (declared > limit) throw ProblemException.TooLarge(limit);
        var sizeFeature = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = limit + 1;

        var body = new PooledBody(declared is > 0 ? (int)Math.Min(declared.Value + 1, 1 << 30) : 4096);
        try
        {
            var stream = ctx.Request.Body;
            while (true)
            {
                var n = await stream.ReadAsync(body.FreeSpace(), ctx.RequestAborted);
                if (n == 0) break;
                body.Advance(n);
                if (body.Length > limit) throw ProblemException.TooLarge(limit);
            }
            if (body.Length == 0) throw ProblemException.MalformedJson("a JSON body is required");
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
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

    /// <summary>
    /// A growable byte buffer rented from the shared pool: a fresh 16 KiB buffer per request was most
    /// of the broker's allocations (and so of its gen-0 collections) under many small submits.
    /// </summary>
    private sealed class PooledBody(int initial) : IDisposable
    {
        private byte[] buffer = ArrayPool<byte>.Shared.Rent(initial);

        public int Length { get; private set; }
        public ReadOnlySpan<byte> Span => buffer.AsSpan(0, Length);
        public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, Length);

        public Memory<byte> FreeSpace()
        {
            if (Length == buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, Length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }
            return buffer.AsMemory(Length);
        }

        public void Advance(int n) => Length += n;

        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
