using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Conveyor.Redis.Lane;

/// <summary>
/// Opening a raw RESP2 connection of the store's own (the fast lane's, a park line's): the connect
/// bounded by the configuration's connect timeout, then handshake commands (AUTH, INFO, SELECT,
/// CLIENT SETNAME) one at a time, before the connection's reader starts. One place for both, so the
/// two keep the same authentication and naming.
/// </summary>
internal static class RespHandshake
{
    /// <summary>
    /// Connects <paramref name="socket"/> to <paramref name="endpoint"/> and authenticates; the socket's
    /// reads time out after the connect timeout until the caller sets its own (the handshake's reads only).
    /// </summary>
    public static async Task<NetworkStream> Open(Socket socket, EndPoint endpoint, ConfigurationOptions configuration, CancellationToken closing)
    {
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(closing))
        {
            timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(100, configuration.ConnectTimeout)));
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
        }
        socket.ReceiveTimeout = Math.Max(100, configuration.ConnectTimeout);
        var stream = new NetworkStream(socket, ownsSocket: true);
        if (!string.IsNullOrEmpty(configuration.Password))
        {
            if (string.IsNullOrEmpty(configuration.User)) Command(stream, "AUTH", configuration.Password);
            else Command(stream, "AUTH", configuration.User, configuration.Password);
        }
        return stream;
    }

    /// <summary>SELECT of a database other than 0, and the connection's name (the configuration's client name, or "conveyor", plus <paramref name="suffix"/>).</summary>
    public static void SelectAndName(Stream stream, int database, ConfigurationOptions configuration, string suffix)
    {
        if (database != 0) Command(stream, "SELECT", database.ToString(CultureInfo.InvariantCulture));
        Command(stream, "CLIENT", "SETNAME", (string.IsNullOrEmpty(configuration.ClientName) ? "conveyor" : configuration.ClientName) + suffix);
    }

    /// <summary>One handshake command and its reply (a Redis error is thrown as <see cref="RedisServerException"/>).</summary>
    public static RedisResult Command(Stream stream, params string[] words)
    {
        var w = new ArrayBufferWriter<byte>();
        Resp.WriteCommand(w, words);
        stream.Write(w.WrittenSpan);
        var buffer = new byte[4096];
        var filled = 0;
        while (true)
        {
            var n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) throw new IOException("Redis closed the connection during the handshake");
            filled += n;
            var pos = 0;
            if (Resp.TryRead(buffer.AsSpan(0, filled), ref pos, out var result, out var error))
                return error is null ? result! : throw new RedisServerException(error);
            if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
        }
    }
}
