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

    [Fact]
    public void A_batch_shares_one_map_among_equal_texts_and_reads_each_text_right()
    {
        var batch = new MetadataJson.Batch();
        var texts = Enumerable.Range(0, 6).Select(i => "{\"tenant\":\"t" + i + "\"}").ToArray();
        var first = batch.Parse(texts[0]);
        Assert.Same(first, batch.Parse(new string(texts[0]))); // equal text, another string
        foreach (var round in Enumerable.Range(0, 3))
            for (var i = 0; i < texts.Length; i++)
                Assert.Equal("t" + i, batch.Parse(texts[i])["tenant"]); // six texts through four places
        Assert.NotSame(batch.Parse(texts[1]), batch.Parse(texts[2]));
        Assert.Empty(batch.Parse(""));
    }

    public static TheoryData<string[]> Maps => new()
    {
        Array.Empty<string>(),
        new[] { "tenant", "t1" },
        new[] { "tenant", "t1", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        new[] { "a-b_c.d:e/f g", "A Z 0 9 - _ . : /", "", "" },
        new[] { "q", "\"quoted\"" }, // the serializer's path from here on
        new[] { "html", "<b>&amp;'+`" },
        new[] { "é", "ü\u0001\\" },
        new[] { "eq", "x=y" },
    };

    [Theory]
    [MemberData(nameof(Maps))]
    public void Writes_the_text_the_serializer_writes_and_reads_it_back(string[] pairs)
    {
        var map = new Dictionary<string, string>();
        for (var i = 0; i < pairs.Length; i += 2) map[pairs[i]] = pairs[i + 1];
        var text = MetadataJson.Write(map);
        Assert.Equal(JsonSerializer.Serialize(map, ConveyorJson.Options), text);
        Assert.Equal(map.OrderBy(e => e.Key, StringComparer.Ordinal), MetadataJson.Parse(text).OrderBy(e => e.Key, StringComparer.Ordinal));
    }
}
