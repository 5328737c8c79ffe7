using System.Buffers;
using System.Buffers.Text;
using System.Text;
using StackExchange.Redis;

namespace Conveyor.Redis.Lane;

/// <summary>
/// fastlane: RESP2 both ways. Commands are written as arrays of bulk strings; replies are parsed into
/// StackExchange.Redis <see cref="RedisResult"/>s (its public factories), so the store reads a reply
/// from the lane exactly as it reads one from the library.
/// </summary>
internal static class Resp
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    /// <summary>A nil reply ($-1; a script's nil or false). RESP2 scripts never answer a nil array (*-1).</summary>
    private static readonly RedisResult Nil = RedisResult.Create(RedisValue.Null, ResultType.BulkString);

    /// <summary>Appends one command: <paramref name="head"/> (already encoded bulk strings, e.g. EVALSHA and the sha), then the key count, the keys and the arguments.</summary>
    public static void WriteScriptCall(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> head, int headCount, RedisKey[] keys, RedisValue[] args)
    {
        WriteHeader(w, (byte)'*', headCount + 1 + keys.Length + args.Length);
        w.Write(head);
        WriteBulk(w, keys.Length);
        foreach (var k in keys) WriteBulk(w, (string?)k ?? "");
        foreach (var a in args) WriteBulk(w, a);
    }

    /// <summary>One command of plain words (AUTH, SELECT, PING, CLIENT SETNAME).</summary>
    public static void WriteCommand(ArrayBufferWriter<byte> w, params string[] words)
    {
        WriteHeader(w, (byte)'*', words.Length);
        foreach (var word in words) WriteBulk(w, word);
    }

    /// <summary>The encoded bulk strings of a command's fixed head.</summary>
    public static byte[] Head(params string[] words)
    {
        var w = new ArrayBufferWriter<byte>();
        foreach (var word in words) WriteBulk(w, word);
        return w.WrittenSpan.ToArray();
    }

    private static void WriteBulk(ArrayBufferWriter<byte> w, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var n);
        WriteHeader(w, (byte)'$', n);
        w.Write(digits[..n]);
        w.Write(Crlf);
    }

    private static void WriteBulk(ArrayBufferWriter<byte> w, string value)
    {
        var n = Encoding.UTF8.GetByteCount(value);
        WriteHeader(w, (byte)'$', n);
        var span = w.GetSpan(n + 2);
        Encoding.UTF8.GetBytes(value, span);
        span[n] = (byte)'\r';
        span[n + 1] = (byte)'\n';
        w.Advance(n + 2);
    }

    private static void WriteBulk(ArrayBufferWriter<byte> w, RedisValue value)
    {
        var n = value.GetByteCount();
        WriteHeader(w, (byte)'$', n);
        var span = w.GetSpan(n + 2);
        value.CopyTo(span);
        span[n] = (byte)'\r';
        span[n + 1] = (byte)'\n';
        w.Advance(n + 2);
    }

    private static void WriteHeader(ArrayBufferWriter<byte> w, byte kind, int count)
    {
        var span = w.GetSpan(16);
        span[0] = kind;
        Utf8Formatter.TryFormat(count, span[1..], out var n);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        w.Advance(n + 3);
    }

    /// <summary>
    /// Reads one whole reply from <paramref name="buffer"/> at <paramref name="pos"/>, advancing past it;
    /// false (and <paramref name="pos"/> unchanged) when the buffer does not hold all of it yet. A
    /// top-level error reply comes back as <paramref name="error"/> with a null result.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, ref int pos, out RedisResult? result, out string? error)
    {
        var at = pos;
        error = null;
        if (!TryReadValue(buffer, ref at, top: true, out result, ref error)) return false;
        pos = at;
        return true;
    }

    private static bool TryReadValue(ReadOnlySpan<byte> buffer, ref int pos, bool top, out RedisResult? result, ref string? error)
    {
        result = null;
        if (!TryLine(buffer, pos, out var line, out var next)) return false;
        var kind = line[0];
        var body = line[1..];
        switch (kind)
        {
            case (byte)'+':
                result = RedisResult.Create((RedisValue)Encoding.UTF8.GetString(body), ResultType.SimpleString);
                pos = next;
                return true;
            case (byte)'-':
                var text = Encoding.UTF8.GetString(body);
                if (top) error = text;
                else result = RedisResult.Create((RedisValue)text, ResultType.Error);
                pos = next;
                return true;
            case (byte)':':
                result = RedisResult.Create(Integer(body), ResultType.Integer);
                pos = next;
                return true;
            case (byte)'$':
            {
                var len = Integer(body);
                if (len < 0) { result = Nil; pos = next; return true; }
                if (buffer.Length - next < len + 2) return false;
                result = RedisResult.Create((RedisValue)buffer.Slice(next, (int)len).ToArray(), ResultType.BulkString);
                pos = next + (int)len + 2;
                return true;
            }
            case (byte)'*':
            {
                var count = Integer(body);
                if (count < 0) { result = Nil; pos = next; return true; }
                var items = count == 0 ? [] : new RedisResult[count];
                var at = next;
                string? ignored = null;
                for (var i = 0; i < items.Length; i++)
                    if (!TryReadValue(buffer, ref at, top: false, out items[i]!, ref ignored)) return false;
                result = RedisResult.Create(items);
                pos = at;
                return true;
            }
            default:
                throw new InvalidDataException($"unexpected RESP type byte 0x{kind:x2}");
        }
    }

    private static bool TryLine(ReadOnlySpan<byte> buffer, int pos, out ReadOnlySpan<byte> line, out int next)
    {
        var rest = buffer[pos..];
        var cr = rest.IndexOf((byte)'\r');
        if (cr < 0 || cr + 1 >= rest.Length) { line = default; next = pos; return false; }
        if (cr == 0) throw new InvalidDataException("empty RESP line");
        line = rest[..cr];
        next = pos + cr + 2;
        return true;
    }

    private static long Integer(ReadOnlySpan<byte> digits) =>
        Utf8Parser.TryParse(digits, out long v, out var used) && used == digits.Length ? v : throw new InvalidDataException("bad RESP integer");
}
