using System.Net.Sockets;
using Conveyor.Gateway;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// A broker restarting or a store reconnecting is expected, and the loops retry it on their own: those
/// failures are logged as one line with the reason, without a stack trace. Anything else keeps its
/// stack trace, because it is a bug to look at.
/// </summary>
internal static class TransportErrors
{
    /// <summary>The exception to attach to a log entry: null for an expected transport failure.</summary>
    public static Exception? StackFor(Exception ex) => IsTransient(ex) ? null : ex;

    public static string Reason(Exception ex) =>
        Conveyor.Store.StoreUnreachableException.IsUnreachable(ex) ? Conveyor.Store.StoreUnreachableException.Brief(ex) + "; the store is unreachable" // ops: one line
        : Brief(ex.InnerException is SocketException s ? $"{ex.Message} ({s.SocketErrorCode})" : ex.Message);

    /// <summary>
    /// One line: StackExchange.Redis appends a dump of its counters to a connection error's message
    /// ("... - Last Connection Exception: UnableToConnect on host:port/Interactive, ..."): keep what
    /// failed and where, not the counters.
    /// </summary>
    internal static string Brief(string message)
    {
        const string marker = " - Last Connection Exception: ";
        var i = message.IndexOf(marker, StringComparison.Ordinal);
        if (i >= 0)
        {
            var rest = message[(i + marker.Length)..];
            var comma = rest.IndexOf(',', StringComparison.Ordinal);
            message = $"{message[..i]} ({(comma < 0 ? rest : rest[..comma])}); the store is unreachable, retrying";
        }
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }

    /// <summary>The broker refused the worker's token: unknown or revoked (401), or without the work scope (403).</summary>
    public static bool IsCredentialsRefusal(Exception ex) => ex is IGatewayRefusal { Status: 401 or 403 };

    private static bool IsTransient(Exception ex) => ex switch
    {
        // The broker answered with a problem: its status and message say it all; our stack adds nothing.
        IGatewayRefusal => true,
        HttpRequestException or SocketException or TimeoutException or TaskCanceledException or IOException => true,
        // A store out of room (full disk, Redis OOM) logs its own episode; the loops retry until room is made.
        Conveyor.Store.StoreFullException => true,
        // The store not answering (and a store client's own connection errors): its store logs the episode.
        _ when Conveyor.Store.StoreUnreachableException.IsUnreachable(ex) => true,
        _ => false,
    };
}
