using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// Turns StackExchange.Redis' connection and timeout errors into <see cref="StoreUnreachableException"/>,
/// telling a command that was never sent (no connection: it waited in the client's backlog, or no
/// connection was available: nothing stored) from one that was sent and got no answer in time (a
/// partition after the write: it may have run).
/// </summary>
internal static class RedisErrors
{
    /// <summary>The store-level error for <paramref name="e"/>, or null when it is not a connection or timeout error.</summary>
    public static StoreUnreachableException? Unreachable(Exception e) => e switch
    {
        StoreUnreachableException u => u,
        RedisTimeoutException t => new StoreUnreachableException(Brief("Redis did not answer in time", t.Message), outcomeUnknown: !NeverSent(t.Message), t),
        RedisConnectionException c => new StoreUnreachableException(Brief("Redis is unreachable", c.Message),
            outcomeUnknown: c.FailureType is not (ConnectionFailureType.UnableToConnect or ConnectionFailureType.UnableToResolvePhysicalConnection) && !NeverSent(c.Message), c),
        // The client cancels the commands of a connection it tears down: they were sent, their outcome is unknown.
        TaskCanceledException c => new StoreUnreachableException("Redis dropped the connection before answering", outcomeUnknown: true, c),
        _ => null,
    };

    /// <summary>True when the command already waited (a timeout, a torn-down connection) or was refused by the open circuit: retrying would only wait again.</summary>
    public static bool TimedOut(StoreUnreachableException u) => u.InnerException is RedisTimeoutException or TaskCanceledException || u.InnerException is null;

    private static bool NeverSent(string message) =>
        message.Contains("in the backlog", StringComparison.OrdinalIgnoreCase) ||
        message.Contains("No connection is active/available", StringComparison.OrdinalIgnoreCase);

    /// <summary>One line: the client appends its counters (and a help link) to its messages.</summary>
    private static string Brief(string what, string message)
    {
        var cut = message.IndexOfAny([',', '\r', '\n', '(']);
        var head = cut < 0 ? message : message[..cut];
        return $"{what} ({head.Trim()})";
    }
}
