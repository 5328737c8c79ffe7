using System.Net;
using System.Collections.Concurrent;

namespace Conveyor.EndToEnd.Tests.Telemetry;

/// <summary>
/// A tiny OTLP/HTTP receiver on 127.0.0.1 for the tests: takes ExportTraceServiceRequest bodies
/// (protobuf) at /v1/traces and decodes the few fields the tests read, by hand from the wire format
/// (the OpenTelemetry.Proto types are not a package we use). Other signals (/v1/metrics) are accepted
/// and ignored.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public OtlpReceiver()
    {
        Port = TestEnvironment.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public ConcurrentBag<Span> Spans { get; } = [];

    public sealed record Span(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, string> Attributes);

    private async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var body = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(body);
            if (ctx.Request.Url?.AbsolutePath == "/v1/traces")
                foreach (var s in Decode(body.ToArray())) Spans.Add(s);
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/x-protobuf";
            ctx.Response.Close();
        }
    }

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    // Resource { repeated KeyValue attributes = 1; }   ScopeSpans { scope = 1; repeated Span spans = 2; }
    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6; repeated KeyValue attributes = 9; }
    // KeyValue { string key = 1; AnyValue value = 2; }   AnyValue { string string_value = 1; bool = 2; int64 int_value = 3; double = 4; }
    internal static List<Span> Decode(byte[] request)
    {
        var spans = new List<Span>();
        foreach (var (f, rs) in Fields(request))
        {
            if (f != 1) continue;
            var service = "";
            var spanBodies = new List<byte[]>();
            foreach (var (rf, rv) in Fields(rs))
            {
                if (rf == 1) service = Attributes(rv, 1).GetValueOrDefault("service.name", "");
                else if (rf == 2) foreach (var (sf, sv) in Fields(rv)) if (sf == 2) spanBodies.Add(sv);
            }
            foreach (var body in spanBodies)
            {
                string trace = "", span = "", parent = "", name = "";
                var kind = 0;
                foreach (var (sf, sv) in Fields(body))
                {
                    switch (sf)
                    {
                        case 1: trace = Convert.ToHexStringLower(sv); break;
                        case 2: span = Convert.ToHexStringLower(sv); break;
                        case 4: parent = Convert.ToHexStringLower(sv); break;
                        case 5: name = System.Text.Encoding.UTF8.GetString(sv); break;
                        case 6: kind = (int)Varint(sv, 0, out _); break;
                    }
                }
                spans.Add(new Span(service, trace, span, parent, name, kind, Attributes(body, 9)));
            }
        }
        return spans;
    }

    private static Dictionary<string, string> Attributes(byte[] message, int field)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (f, kv) in Fields(message))
        {
            if (f != field) continue;
            string key = "", value = "";
            foreach (var (kf, kvv) in Fields(kv))
            {
                if (kf == 1) key = System.Text.Encoding.UTF8.GetString(kvv);
                else if (kf == 2)
                    foreach (var (af, av) in Fields(kvv))
                        value = af switch
                        {
                            1 => System.Text.Encoding.UTF8.GetString(av),
                            2 or 3 => Varint(av, 0, out _).ToString(System.Globalization.CultureInfo.InvariantCulture),
                            _ => value,
                        };
            }
            attributes[key] = value;
        }
        return attributes;
    }

    /// <summary>The fields of one message: (number, payload). Varints come back as their bytes; fixed ones are skipped.</summary>
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var i = 0;
        while (i < message.Length)
        {
            var tag = Varint(message, i, out i);
            var field = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    var start = i;
                    Varint(message, i, out i);
                    yield return (field, message[start..i]);
                    break;
                case 1: i += 8; break;
                case 2:
                    var length = (int)Varint(message, i, out i);
                    yield return (field, message[i..(i + length)]);
                    i += length;
                    break;
                case 5: i += 4; break;
                default: throw new FormatException($"protobuf wire type {tag & 7} at {i}");
            }
        }
    }

    private static ulong Varint(byte[] b, int i, out int next)
    {
        ulong v = 0;
        for (var shift = 0; ; shift += 7)
        {
            var x = b[i++];
            v |= (ulong)(x & 0x7f) << shift;
            if ((x & 0x80) == 0) break;
        }
        next = i;
        return v;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
