using Conveyor.Model;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>How <see cref="RedisTaskStore"/> connects and names its keys.</summary>
public sealed class RedisStoreOptions
{
    /// <summary>
    /// Either a StackExchange.Redis configuration string (<c>host1:6379,host2:6379,password=…</c>;
    /// Sentinel with <c>serviceName=mymaster</c> and the sentinel endpoints; Cluster with any of the
    /// node endpoints) or a URL <c>redis://[user:password@]host:port[/db]</c> / <c>rediss://…</c>.
    /// Ignored when <see cref="Configuration"/> is set.
    /// </summary>
    public string ConnectionString { get; set; } = "127.0.0.1:6379";

    /// <summary>A ready configuration; wins over <see cref="ConnectionString"/>.</summary>
    public ConfigurationOptions? Configuration { get; set; }

    /// <summary>Every key starts with this (several Conveyor installations can share one Redis).</summary>
    public string KeyPrefix { get; set; } = "conveyor";

    /// <summary>How long an idempotency key holds its task (DESIGN §2: default 24 h).</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TaskDefaults.IdempotencyWindow;

    /// <summary>
    /// Wake blocked leasers over sharded pub/sub (SPUBLISH/SSUBSCRIBE; needs Redis 7.0+). In a Cluster
    /// this keeps each wake-up on its queue's shard instead of broadcasting it over the cluster bus.
    /// Every process sharing the Redis must use the same setting. Default false (classic pub/sub,
    /// which works on any Redis).
    /// </summary>
    public bool ShardedPubSub { get; set; }

    /// <summary>
    /// The longest a command waits for Redis before the store gives up on it (StackExchange.Redis'
    /// <c>syncTimeout</c>/<c>asyncTimeout</c>, unless the connection string sets them): a partition
    /// between broker and Redis answers a client 503/504 within about this, instead of hanging. Default 3 s.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = DefaultCommandTimeout;

    /// <summary>The default <see cref="CommandTimeout"/>: long enough for a large batch on a busy Redis, short enough for a client to be told.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Take "now" from Redis' clock (<c>TIME</c>, the offset re-measured every <see cref="RedisClock.RefreshEvery"/>)
    /// rather than this machine's, so brokers and workers on machines whose clocks disagree agree on
    /// when a lease expires and when a delayed task is due. Applies only when <see cref="TimeProvider"/>
    /// is the system clock (a FakeTimeProvider in tests is left as it is). Default true.
    /// </summary>
    public bool UseServerClock { get; set; } = true;
    /// Read Redis replies and pub/sub messages on the .NET thread pool (StackExchange.Redis's
    /// <see cref="SocketManager.ThreadPool"/>) instead of the library's own dedicated reader threads:
    /// fewer threads competing for the cores, so fewer waits for a turn on a busy machine (measured:
    /// the worker's lease -> handler step 13-15 µs instead of 25-45 µs, docs/performance.md). The
    /// price: a thread pool starved by blocking code delays Redis replies too (leases, renewals), so it
    /// is off by default, and on in processes that run no blocking user code (<c>conveyor server</c>,
    /// <c>conveyor bench</c>). Ignored when <see cref="Configuration"/> names its own SocketManager.
    /// </summary>
    public bool RepliesOnThreadPool { get; set; }

    /// <summary>
    /// Send the hot scripts (a submit, a lease, an acknowledgement: TaskEnqueueMany, TaskLease,
    /// TaskCompleteMany) over a connection of the store's own: written from the caller's thread, read by
    /// one dedicated thread, instead of StackExchange.Redis' four thread hand-offs per round trip
    /// (docs/redis.md, "The fast lane"; measured in docs/performance.md). It applies only to a single
    /// standalone Redis endpoint without TLS; on a Cluster, a Sentinel service, several endpoints or TLS
    /// StackExchange.Redis carries every call, as it does while the lane reconnects. Default true
    /// (lane2: in interleaved runs W1's processing rate was level to a few per cent higher and W2's
    /// pickup p50 a few per cent lower with it, docs/performance.md "The fast lane by default"); the
    /// price is one more connection per store. A <c>redis://</c> URL's <c>?fastlane=on|off</c>
    /// (<see cref="RedisUrl.Settings"/>) wins over this property.
    /// </summary>
    public bool FastLane { get; set; } = true;

    /// <summary>lane2: whether the store opens the fast lane: the URL's <c>fastlane</c> when it names one, else <see cref="FastLane"/>.</summary>
    internal bool FastLaneWanted => (Configuration is null ? RedisUrl.Settings(ConnectionString).FastLane : null) ?? FastLane;

    /// <summary>
    /// parklist: a parked leaser (the one-step lease, docs/redis.md "Parked lease") waits for its
    /// hand-off in a <c>BLPOP</c> of its park's own list, on a blocking connection of the store's own
    /// read by a dedicated thread (one per leaser waiting at once), so Redis itself wakes it and the
    /// handler starts on that thread. False: it waits on the process's pub/sub channel through
    /// StackExchange.Redis, as it always does with TLS or a proxy. Default true.
    /// </summary>
    public bool ParkList { get; set; } = true;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Parses a URL or a configuration string; see <see cref="ConnectionString"/>.</summary>
    public static RedisStoreOptions FromUrl(string urlOrConfiguration) => new() { ConnectionString = urlOrConfiguration };

    internal ConfigurationOptions BuildConfiguration()
    {
        var c = Configuration?.Clone() ?? RedisUrl.ToConfiguration(ConnectionString);
        c.AbortOnConnectFail = false;
        // ops: a command with no connection to send it on fails at once (the server answers 503, a worker
        // backs off) instead of waiting in the client's backlog for its timeout; reconnecting goes on.
        c.BacklogPolicy = BacklogPolicy.FailFast;
        if (string.IsNullOrEmpty(c.ClientName)) c.ClientName = "conveyor";
        // faults2: a bounded wait per command (the client's default is 5 s, and retries multiplied it).
        var text = Configuration is null ? ConnectionString : "";
        var ms = (int)CommandTimeout.TotalMilliseconds;
        if (Configuration is null && !text.Contains("synctimeout", StringComparison.OrdinalIgnoreCase)) c.SyncTimeout = ms;
        if (Configuration is null && !text.Contains("asynctimeout", StringComparison.OrdinalIgnoreCase)) c.AsyncTimeout = ms;
        if (RepliesOnThreadPool && c.SocketManager is null) c.SocketManager = SocketManager.ThreadPool;
        return c;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.IndexOfAny(['{', '}', '*', '?', '[', ']', ' ']) >= 0)
            throw new ArgumentException("KeyPrefix must be non-empty and hold none of { } * ? [ ] or spaces", nameof(KeyPrefix));
        if (IdempotencyWindow <= TimeSpan.Zero)
            throw new ArgumentException("IdempotencyWindow must be positive", nameof(IdempotencyWindow));
        if (CommandTimeout <= TimeSpan.Zero || CommandTimeout > TimeSpan.FromMinutes(5))
            throw new ArgumentException("CommandTimeout must be between 0 and 5 minutes", nameof(CommandTimeout));
        if (Configuration is null && string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException("set ConnectionString or Configuration", nameof(ConnectionString));
    }
}
