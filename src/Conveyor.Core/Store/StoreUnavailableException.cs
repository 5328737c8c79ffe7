namespace Conveyor.Store;

/// <summary>
/// The store cannot be reached right now (Redis not up yet, or its connection lost); nothing of the
/// call was done. An expected condition: the store logs one line per episode and keeps reconnecting,
/// the server answers 503 <c>unavailable</c> with <c>Retry-After</c>, workers back off and retry.
/// </summary>
public sealed partial class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>What a client is told to wait before it tries again (the <c>Retry-After</c> of the 503).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>
    /// True for this exception, for <see cref="StoreUnreachableException"/> (a command that got no answer), and for a store client's own "no connection" errors (StackExchange.Redis'
    /// connection and timeout errors, matched by name so that Core needs no dependency on it), also
    /// when wrapped in an <see cref="AggregateException"/>.
    /// </summary>
    public static bool IsUnreachable(Exception? e)
    {
        for (var depth = 0; e is not null && depth < 4; depth++, e = e.InnerException)
        {
            if (e is StoreUnavailableException or StoreUnreachableException) return true;
            if (e.GetType().FullName is "StackExchange.Redis.RedisConnectionException" or "StackExchange.Redis.RedisTimeoutException") return true;
            if (e is not AggregateException) return false;
        }
        return false;
    }

    /// <summary>The first line of a store client's message, without the counters StackExchange.Redis appends.</summary>
    public static string Brief(Exception e)
    {
        var message = e is AggregateException { InnerException: { } inner } ? inner.Message : e.Message;
        const string marker = " - Last Connection Exception: ";
        var i = message.IndexOf(marker, StringComparison.Ordinal);
        if (i >= 0)
        {
            var rest = message[(i + marker.Length)..];
            var comma = rest.IndexOf(',', StringComparison.Ordinal);
            message = $"{message[..i]} ({(comma < 0 ? rest : rest[..comma])})";
        }
        // "No connection is active/available to service this operation: EVALSHA; UnableToConnect on host:port/Interactive, <counters>"
        var counters = CountersAfter().Match(message);
        if (counters.Success) message = message[..counters.Index];
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=; \w+(?: \([^)]*\))? on [^\s,]+), ")]
    private static partial System.Text.RegularExpressions.Regex CountersAfter();
}
