using System.Text.Json;
using Conveyor.Json;

namespace Conveyor.Tests.Json;

/// <summary>MetadataJson reads every text as the serializer does: the plain form directly, anything else through it.</summary>
public sealed class MetadataJsonTests
{
    [Theory]
    [InlineData("{}")]
    [InlineData("{\"tenant\":\"t1\"}")]
    [InlineData("{\"tenant\":\"t1\",\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"}")]
    [InlineData("{\"a\":\"\",\"\":\"b\"}")]
    [InlineData("{\"a\":\"x:y,z{}\",\"b\":\"[1]\"}")]
    [InlineData("{\"org.id-x\":\"\\\"quoted\\\" \\\\ \\u00e9\"}")] // escapes: the serializer's path
    [InlineData("{\"a\":\"é ü\"}")]
    [InlineData("{ \"a\" : \"b\" }")] // white space: the serializer's path
    [InlineData("{\"a\":\"1\",\"a\":\"2\"}")] // a repeated key: as the serializer reads it
    public void Reads_a_map_as_the_serializer_does(string json)
    {
        var expected = JsonSerializer.Deserialize<Dictionary<string, string>>(json, ConveyorJson.Options)!;
        var got = MetadataJson.Parse(json);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), got.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("{\"a\":\"b\"")]
    [InlineData("{\"a\" \"b\"}")]
    [InlineData("{\"a\":\"b\",}")]
    [InlineData("{\"a\":\"b\"\"c\":\"d\"}")]
    [InlineData("{\"a\":\"b\u0001\"}")]
    [InlineData("[\"a\",\"b\"]")]
    public void Refuses_what_the_serializer_refuses(string json)
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Dictionary<string, string>>(json, ConveyorJson.Options));
        Assert.ThrowsAny<JsonException>(() => MetadataJson.Parse(json));
    }

    [Fact]
    public void An_empty_text_or_null_is_the_empty_map()
    {
        Assert.Empty(MetadataJson.Parse(""));
        Assert.Empty(MetadataJson.Parse("null"));
    }
}
