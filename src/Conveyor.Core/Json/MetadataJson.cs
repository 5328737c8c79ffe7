using System.Text.Json;

namespace Conveyor.Json;

/// <summary>
/// A task's stored metadata (a flat string map, as JSON text) read back into a dictionary: by every
/// store for every task it reads, so once per leased task. The text is what the stores wrote
/// (<see cref="JsonSerializer"/> with <see cref="ConveyorJson.Options"/>: compact, every key and value a
/// string), which this reads with one pass over the characters and one dictionary of the right size
/// (limits: about a third of what a one-entry map cost a leased task through the serializer).
/// Any other text (escapes, white space, a value that is not a string, a repeated key) is read by the
/// serializer exactly as before, so the answer is the same for every text.
/// </summary>
public static class MetadataJson
{
    /// <summary>The map in <paramref name="json"/>; an empty text or <c>null</c> is the empty map.</summary>
    public static IReadOnlyDictionary<string, string> Parse(ReadOnlySpan<char> json)
    {
        if (json.IsEmpty) return Model.TaskRecord.EmptyMetadata;
        return TryPlain(json) ?? Serializer(json);
    }

    /// <summary>
    /// The JSON text of <paramref name="metadata"/>, as <see cref="JsonSerializer"/> with
    /// <see cref="ConveyorJson.Options"/> writes it: built directly when no key or value holds a character
    /// the serializer would escape (letters, digits and <c>-_.:/ </c> only: a tenant id, a traceparent),
    /// else by the serializer.
    /// </summary>
    public static string Write(IReadOnlyDictionary<string, string> metadata)
    {
        var length = 2;
        foreach (var (k, v) in metadata)
        {
            if (!Plain(k) || !Plain(v)) return JsonSerializer.Serialize(metadata, ConveyorJson.Options);
            length += k.Length + v.Length + 6;
        }
        if (metadata.Count > 0) length--;
        return string.Create(length, metadata, static (span, map) =>
        {
            var i = 0;
            span[i++] = '{';
            foreach (var (k, v) in map)
            {
                if (i > 1) span[i++] = ',';
                span[i++] = '"'; k.CopyTo(span[i..]); i += k.Length; span[i++] = '"';
                span[i++] = ':';
                span[i++] = '"'; v.CopyTo(span[i..]); i += v.Length; span[i++] = '"';
            }
            span[i] = '}';
        });
    }

    private static bool Plain(string s)
    {
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/' or ' ')) return false;
        return true;
    }

    /// <summary>
    /// Reads the metadata of the tasks of one answer (a lease's tasks, a query's rows): tasks whose texts
    /// are equal share one map (a map read here is never changed), so the tasks of a few tenants cost
    /// one map per tenant and answer instead of one per task. It remembers the last 4 distinct texts;
    /// one instance per answer (not thread-safe).
    /// </summary>
    public sealed class Batch
    {
        private readonly string?[] _texts = new string?[4];
        private readonly IReadOnlyDictionary<string, string>?[] _maps = new IReadOnlyDictionary<string, string>?[4];
        private int _next;

        public IReadOnlyDictionary<string, string> Parse(ReadOnlySpan<char> json)
        {
            if (json.IsEmpty) return Model.TaskRecord.EmptyMetadata;
            for (var i = 0; i < _texts.Length; i++)
                if (_texts[i] is { } t && json.SequenceEqual(t)) return _maps[i]!;
            var map = MetadataJson.Parse(json);
            _texts[_next] = json.ToString();
            _maps[_next] = map;
            _next = (_next + 1) % _texts.Length;
            return map;
        }
    }

    private static IReadOnlyDictionary<string, string> Serializer(ReadOnlySpan<char> json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, ConveyorJson.Options) ?? Model.TaskRecord.EmptyMetadata;

    /// <summary>
    /// The compact form <c>{"k":"v",...}</c> with no backslash, control character or repeated key, read
    /// directly; null for anything else (the serializer reads it).
    /// </summary>
    private static Dictionary<string, string>? TryPlain(ReadOnlySpan<char> json)
    {
        if (json.Length < 2 || json[0] != '{' || json[^1] != '}' || json.IndexOf('\\') >= 0) return null;
        var body = json[1..^1];
        if (body.IsEmpty) return new Dictionary<string, string>(0);
        // Each entry is "k":"v", so the entries are the quotes' count over 4 (a wrong count is not plain).
        var quotes = body.Count('"');
        if (quotes == 0 || quotes % 4 != 0) return null;
        var map = new Dictionary<string, string>(quotes / 4, StringComparer.Ordinal);
        while (true)
        {
            if (!String(ref body, out var key) || body.IsEmpty || body[0] != ':') return null;
            body = body[1..];
            if (!String(ref body, out var value) || !map.TryAdd(key, value)) return null;
            if (body.IsEmpty) return map;
            if (body[0] != ',') return null;
            body = body[1..];
        }
    }

    /// <summary>A quoted string at the start of <paramref name="rest"/> (no escapes: the caller ruled them out).</summary>
    private static bool String(ref ReadOnlySpan<char> rest, out string value)
    {
        value = "";
        if (rest.IsEmpty || rest[0] != '"') return false;
        var end = rest[1..].IndexOf('"');
        if (end < 0) return false;
        var text = rest.Slice(1, end);
        foreach (var c in text)
            if (c < ' ') return false; // JSON has no raw control character in a string: the serializer says so
        value = text.ToString();
        rest = rest[(end + 2)..];
        return true;
    }
}
