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
