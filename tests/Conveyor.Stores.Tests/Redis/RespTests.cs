using System.Text;
using Conveyor.Redis.Lane;
using StackExchange.Redis;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>fastlane: the lane's RESP2 reader and writer, on the replies our scripts give.</summary>
public sealed class RespTests
{
    private const string Reply = "*4\r\n:7\r\n$5\r\nhello\r\n$-1\r\n*2\r\n+OK\r\n$0\r\n\r\n";

    [Fact]
    public void A_nested_reply_reads_as_the_RedisResult_StackExchange_Redis_would_give()
    {
        var pos = 0;
        Assert.True(Resp.TryRead(Encoding.ASCII.GetBytes(Reply), ref pos, out var result, out var error));
        Assert.Null(error);
        Assert.Equal(Reply.Length, pos);
        var items = (RedisResult[])result!;
        Assert.Equal(4, items.Length);
        Assert.Equal(7, (int)items[0]);
        Assert.Equal("hello", (string?)items[1]);
        Assert.True(items[2].IsNull);
        Assert.Equal(ResultType.Array, items[3].Resp2Type);
        var inner = (RedisValue[])items[3]!;
        Assert.Equal("OK", (string?)inner[0]);
        Assert.Equal("", (string?)inner[1]);
    }

    [Fact]
    public void A_reply_cut_anywhere_is_not_read_until_the_rest_comes()
    {
        var bytes = Encoding.ASCII.GetBytes(Reply);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var pos = 0;
            Assert.False(Resp.TryRead(bytes.AsSpan(0, cut), ref pos, out _, out _), $"read a whole reply from {cut} of {bytes.Length} bytes");
            Assert.Equal(0, pos);
        }
    }

    [Fact]
    public void A_top_level_error_is_returned_as_its_text()
    {
        var bytes = "-NOSCRIPT No matching script.\r\n:1\r\n"u8.ToArray();
        var pos = 0;
        Assert.True(Resp.TryRead(bytes, ref pos, out var result, out var error));
        Assert.Null(result);
        Assert.Equal("NOSCRIPT No matching script.", error);
        Assert.True(Resp.TryRead(bytes, ref pos, out result, out error));
        Assert.Equal(1, (int)result!);
        Assert.Equal(bytes.Length, pos);
    }

    [Fact]
    public void A_script_call_is_written_as_one_array_of_bulk_strings()
    {
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        Resp.WriteScriptCall(w, Resp.Head("EVALSHA", "abc"), 2, ["k1"], [42, "é", RedisValue.Null]);
        Assert.Equal("*7\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n1\r\n$2\r\nk1\r\n$2\r\n42\r\n$2\r\né\r\n$0\r\n\r\n", Encoding.UTF8.GetString(w.WrittenSpan));
    }
}
