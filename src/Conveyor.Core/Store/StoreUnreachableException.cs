namespace Conveyor.Store;

/// <summary>
/// The store does not answer: not reachable (Redis not up yet, a lost connection, RabbitMQ down, a
/// SQLite file locked by another process past the busy timeout) or not answering in time (a partition,
/// a Redis restarting). Raised after a bounded wait (Redis: <c>RedisStoreOptions.CommandTimeout</c>),
/// never a hang, and an expected condition: the store logs one line per episode and keeps trying,
/// workers and maintenance retry on their own. <see cref="OutcomeUnknown"/> is what callers must know:
/// <list type="bullet">
/// <item>false: the command was never sent: nothing was stored. The server answers 503
/// <c>unavailable</c>, a refusal the client may retry.</item>
/// <item>true: the command was sent and its answer did not come back: it may or may not have been
/// applied. The server answers 504 <c>store-timeout</c> (the client must treat the outcome as unknown;
/// a retry with the same idempotency key is safe).</item>
/// </list>
/// </summary>
public sealed partial class StoreUnreachableException(string message, bool outcomeUnknown, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>What a client is told to wait before it tries again (the <c>Retry-After</c> of the 503 and the 504).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>True when the command was sent and no answer came back: it may or may not have been applied.</summary>
    public bool OutcomeUnknown { get; } = outcomeUnknown;

    /// <summary>True when <paramref name="e"/> is the store not answering (see <see cref="Find"/>).</summary>
    public static bool IsUnreachable(Exception? e) => Find(e) is not null;

    /// <summary>
    /// The store not answering behind <paramref name="e"/>, or null for anything else: this exception, or
    /// a store client's own "no connection" errors (StackExchange.Redis' connection and timeout errors,
    /// matched by name so that Core needs no dependency on it; not known to have been sent, so nothing
    /// is claimed stored or not: <see cref="OutcomeUnknown"/> false as for a refusal), also when wrapped
    /// in an <see cref="AggregateException"/>.
    /// </summary>
    public static StoreUnreachableException? Find(Exception? e)
    {
        var outer = e;
        for (var depth = 0; e is not null && depth < 4; depth++, e = e.InnerException)
        {
            if (e is StoreUnreachableException u) return u;
            if (e.GetType().FullName is "StackExchange.Redis.RedisConnectionException" or "StackExchange.Redis.RedisTimeoutException")
                return new StoreUnreachableException(Brief(outer!), outcomeUnknown: false, outer);
            if (e is not AggregateException) return null;
        }
        return null;
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
