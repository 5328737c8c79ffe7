using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conveyor.Json;

/// <summary>
/// The one JSON dialect of Conveyor (wire, CLI and stored columns): snake_case names, enums as
/// snake_case strings, durations as seconds (a number), nulls omitted. No polymorphic type names,
/// ever: args and results are plain JSON values.
/// </summary>
public static class ConveyorJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    public static JsonSerializerOptions Create(bool indented)
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = indented,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            MaxDepth = 64,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        o.Converters.Add(new SecondsTimeSpanConverter());
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}

/// <summary>Durations on the wire are seconds as a JSON number (fractions allowed): <c>"timeout": 30</c>.</summary>
public sealed class SecondsTimeSpanConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var seconds) || double.IsNaN(seconds) || double.IsInfinity(seconds))
            throw new JsonException("a duration must be a number of seconds");
        if (Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds / 2)
            throw new JsonException("a duration is out of range");
        return TimeSpan.FromSeconds(seconds);
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.TotalSeconds);
}
