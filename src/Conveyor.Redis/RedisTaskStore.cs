using System.Collections.Concurrent;
using Conveyor.Redis.Scripts;
using Conveyor.Redis.Signals;
using Conveyor.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// The scale-out store (DESIGN §4): every transition is one Lua script (<c>Lua/*.lua</c>) on one
/// queue's keys (one cluster slot), called by SHA. Construct it with <see cref="Connect"/> /
/// <see cref="ConnectAsync"/> from <see cref="RedisStoreOptions"/> (a <c>redis://</c> URL or a
/// StackExchange.Redis configuration string), or over a multiplexer you own.
/// </summary>
public sealed partial class RedisTaskStore : ITaskStore
{
    private readonly IConnectionMultiplexer _mux;
    private readonly bool _ownsMux;
    private readonly RedisKeys _keys;
    private readonly ScriptRunner _scripts;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idempotencyWindow;
    private readonly ILogger _logger;
    private readonly WakeHub _wake;
    private readonly EventHub _events;
    private readonly ParkLines? _parkLines;
    private readonly int _database;
    private readonly TaskIndex _index;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<string, QueueKeys> _queueKeys = new(StringComparer.Ordinal);

    /// <summary>Uses a multiplexer the caller owns (and disposes).</summary>
    public RedisTaskStore(IConnectionMultiplexer multiplexer, RedisStoreOptions options)
        : this(multiplexer, options, ownsMultiplexer: false)
    {
    }

    private RedisTaskStore(IConnectionMultiplexer multiplexer, RedisStoreOptions options, bool ownsMultiplexer)
    {
        options.Validate();
        _mux = multiplexer;
        _ownsMux = ownsMultiplexer;
        _keys = new RedisKeys(options.KeyPrefix, options.ShardedPubSub);
        _clock = options.UseServerClock && ReferenceEquals(options.TimeProvider, TimeProvider.System) ? new RedisClock(multiplexer, options.LoggerFactory?.CreateLogger("Conveyor.Redis") ?? NullLogger.Instance) : null; // faults2
        _time = (TimeProvider?)_clock ?? options.TimeProvider;
        _idempotencyWindow = options.IdempotencyWindow;
        _logger = options.LoggerFactory?.CreateLogger("Conveyor.Redis") ?? NullLogger.Instance;
        _database = options.Configuration?.DefaultDatabase ?? (options.Configuration is null ? RedisUrl.ToConfiguration(options.ConnectionString).DefaultDatabase ?? 0 : 0);
        _scripts = new ScriptRunner(_mux, _logger, _database);
        _index = new TaskIndex(() => Db, KnownQueues, Q); // memory: a probe of the known queues (layout 3)
        _wake = new WakeHub(_mux, _keys, _logger);
        _events = new EventHub(_mux, _keys, _logger);
        _parkLines = options.ParkList ? new ParkLines(_mux, options.BuildConfiguration(), _database, _logger) : null; // parklist
        _mux.ConnectionFailed += OnConnectionFailed;
        _mux.ConnectionRestored += OnConnectionRestored;
        StartClock(); // faults2
    }

    /// <summary>
    /// Connects (without failing when Redis is not up yet: it keeps retrying in the background). Throws
    /// <see cref="StoreConfigurationException"/> when a reachable primary may evict keys (see <see cref="StoreReadinessCheck"/>).
    /// </summary>
    public static RedisTaskStore Connect(RedisStoreOptions options)
    {
        options.Validate();
        var configuration = options.BuildConfiguration();
        var mux = ConnectionMultiplexer.Connect(configuration);
        var store = new RedisTaskStore(mux, options, ownsMultiplexer: true);
        store.OpenLane(configuration, options).GetAwaiter().GetResult(); // fastlane
        store.RefuseEvictingRedis().AsTask().GetAwaiter().GetResult();
        store.OpenLayout().GetAwaiter().GetResult(); // redis-index: the key layout, upgraded at open
        store.MeasureClock().GetAwaiter().GetResult(); // faults2
        return store;
    }

    /// <inheritdoc cref="Connect"/>
    public static async Task<RedisTaskStore> ConnectAsync(RedisStoreOptions options)
    {
        options.Validate();
        var configuration = options.BuildConfiguration();
        var mux = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        var store = new RedisTaskStore(mux, options, ownsMultiplexer: true);
        // ops: not up yet is not a failure to open: one line, then the store connects by itself.
        store.UnreachableAtStart(string.Join(",", configuration.EndPoints.Select(EndpointName)));
        await store._scripts.Preload().ConfigureAwait(false);
        await store.OpenLane(configuration, options).ConfigureAwait(false); // fastlane
        await store.RefuseEvictingRedis().ConfigureAwait(false);
        await store.OpenLayout().ConfigureAwait(false); // redis-index: the key layout, upgraded at open
        await store.MeasureClock().ConfigureAwait(false); // faults2
        return store;
    }

    public string Name => "redis";

    internal IConnectionMultiplexer Multiplexer => _mux;
    internal RedisKeys Keys => _keys;
    private IDatabase Db => _mux.GetDatabase(_database);

    public async ValueTask<bool> Ping(CancellationToken ct = default)
    {
        if (!_mux.IsConnected) return false;
        try
        {
            var ping = Db.PingAsync();
            var done = await Task.WhenAny(ping, Task.Delay(TimeSpan.FromSeconds(2), ct)).ConfigureAwait(false);
            if (done != ping) return false;
            await ping.ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return false;
        }
    }

    public IDisposable EventsSubscribe(Action<TaskEvent> onEvent) => _events.Subscribe(onEvent);

    /// <summary>Blocked leases end (empty) first; then subscriptions and, when owned, the connection close.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested) return;
        await _closing.CancelAsync().ConfigureAwait(false);
        _mux.ConnectionFailed -= OnConnectionFailed;
        _mux.ConnectionRestored -= OnConnectionRestored;
        _wake.Dispose();
        _parkHub?.Dispose(); // parked
        _parkLines?.Dispose(); // parklist
        _scripts.Lane?.Dispose(); // fastlane
        _events.Dispose();
        if (_ownsMux) await _mux.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    private QueueKeys Q(string queue) => _queueKeys.GetOrAdd(queue, _keys.Queue);

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // ops: one line per episode (RedisTaskStore.Reachability.cs), not one per reconnect attempt with the client's dump.
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) =>
        EndpointFailed(e.EndPoint, e.ConnectionType, e.FailureType);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (EndpointRestored(e.EndPoint, e.ConnectionType))
            _logger.LogInformation("the store is reachable: Redis {Endpoint} connected", EndpointName(e.EndPoint));
        if (e.ConnectionType == ConnectionType.Interactive) { _ = FirstConnected(); Reconnected(); }
        if (e.ConnectionType == ConnectionType.Interactive) _ = MeasureClock(); // faults2
    }

    /// <summary>
    /// Retries an operation that is safe to repeat (reads; enqueue, which skips ids already stored)
    /// when the connection dropped under it. Transitions are never retried blindly. The outcome of the
    /// whole is unknown when any attempt's was: an enqueue sent just before Redis died may be stored
    /// (AOF) though the retries after it were never sent, and answering those retries' "nothing was
    /// stored" (503) would tell the client a stored task was refused (the loss checker caught it).
    /// </summary>
    private static async Task<T> Idempotent<T>(Func<Task<T>> op, CancellationToken ct)
    {
        var sentUnanswered = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await op().ConfigureAwait(false);
            }
            catch (Exception e) when (RedisErrors.Unreachable(e) is { } unreachable && !ct.IsCancellationRequested)
            {
                sentUnanswered |= unreachable.OutcomeUnknown;
                // A timeout has already cost the whole CommandTimeout: answer now rather than multiply it.
                if (attempt >= 3 || RedisErrors.TimedOut(unreachable))
                    throw sentUnanswered && !unreachable.OutcomeUnknown
                        ? new StoreUnreachableException(unreachable.Message + "; an earlier try was sent and not answered, so it may have been applied", outcomeUnknown: true, unreachable)
                        : unreachable;
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct).ConfigureAwait(false);
            }
        }
    }
}
