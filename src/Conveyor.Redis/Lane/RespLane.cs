using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis.Lane;

/// <summary>
/// fastlane: the hot scripts' own connection to a standalone Redis (docs/redis.md, "The fast lane").
/// StackExchange.Redis hands each command and reply across about four threads; here the caller writes
/// and one reader thread completes a read's replies in one pool work item. While the lane is down (not
/// connected yet, or reconnecting with backoff after a drop) <see cref="Current"/> is null and the
/// store sends through StackExchange.Redis as before, so a lane that cannot connect costs nothing but
/// its speed. It applies only to one endpoint of a standalone Redis without TLS (see <see cref="For"/>).
/// </summary>
internal sealed class RespLane : IDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(2);

    private readonly EndPoint _endpoint;
    private readonly ConfigurationOptions _configuration;
    private readonly int _database;
    private readonly TimeSpan _commandTimeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly ITimer _timeouts;
    private LaneConnection? _current;
    private long _calls;
    private int _reconnecting;
    private volatile bool _refused;

    private RespLane(EndPoint endpoint, ConfigurationOptions configuration, int database, TimeSpan commandTimeout, ILogger logger)
    {
        _endpoint = endpoint;
        _configuration = configuration;
        _database = database;
        _commandTimeout = commandTimeout;
        _logger = logger;
        // A transport timeout is wall-clock time, like StackExchange.Redis' own: the system clock, not the store's.
        var every = TimeSpan.FromMilliseconds(Math.Clamp(commandTimeout.TotalMilliseconds / 4, 10, 1000));
        _timeouts = TimeProvider.System.CreateTimer(_ => Volatile.Read(ref _current)?.ExpireOlderThan(_commandTimeout), null, every, every);
    }

    /// <summary>The open connection, or null while there is none (the caller then uses StackExchange.Redis).</summary>
    public LaneConnection? Current
    {
        get
        {
            var c = Volatile.Read(ref _current);
            if (c is { IsDone: false }) return c;
            if (!_refused) Reconnect(); // not up yet (Redis was down at start) or dropped: one loop tries again
            return null;
        }
    }

    /// <summary>Script calls sent on the lane (the bench adds them to the client's own command count).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    internal void Counted() => Interlocked.Increment(ref _calls);

    /// <summary>
    /// A lane for <paramref name="configuration"/>, connected (or trying to in the background), or null
    /// where it does not apply: several endpoints (a Cluster seed list, primaries and replicas), a
    /// Sentinel service, a proxy, TLS (the certificate callbacks of <see cref="ConfigurationOptions"/>
    /// are events only StackExchange.Redis can call, so it keeps TLS connections), or a server found to
    /// be a Cluster node or a Sentinel (checked by <c>INFO server</c> at every connect).
    /// </summary>
    public static async Task<RespLane?> Open(ConfigurationOptions configuration, int database, TimeSpan commandTimeout, ILogger logger)
    {
        if (configuration.EndPoints.Count != 1 || !string.IsNullOrEmpty(configuration.ServiceName) || configuration.Proxy != Proxy.None || configuration.Ssl)
            return null;
        var lane = new RespLane(configuration.EndPoints[0], configuration, database, commandTimeout, logger);
        await lane.TryOpen().ConfigureAwait(false);
        if (lane._refused) { lane.Dispose(); return null; }
        return lane;
    }

    private async Task TryOpen()
    {
        try
        {
            var c = await Connect().ConfigureAwait(false);
            if (c is null) { _refused = true; return; }
            Volatile.Write(ref _current, c);
            c.Start();
        }
        catch (Exception e) when (e is SocketException or IOException or RedisException or OperationCanceledException or InvalidDataException)
        {
            _logger.LogDebug(e, "fast lane: could not connect to {Endpoint}; StackExchange.Redis carries the calls meanwhile", _endpoint);
        }
    }

    /// <summary>Connects and shakes hands; null when the server is not a standalone Redis (the lane then stays off).</summary>
    private async Task<LaneConnection?> Connect()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var stream = await RespHandshake.Open(socket, _endpoint, _configuration, _closing.Token).ConfigureAwait(false);
            var c = new LaneConnection(socket, stream, this);
            var info = (string?)c.Handshake("INFO", "server") ?? "";
            if (!info.Contains("redis_mode:standalone", StringComparison.Ordinal))
            {
                _logger.LogDebug("fast lane: {Endpoint} is not a standalone Redis; StackExchange.Redis carries every call", _endpoint);
                c.Dispose();
                return null;
            }
            RespHandshake.SelectAndName(stream, _database, _configuration, "-lane");
            socket.ReceiveTimeout = 0; // the reader blocks until a reply comes; timeouts are the lane's timer
            // A write that cannot go out (a Redis that stopped reading, a full send buffer) breaks the
            // connection after the command timeout rather than holding its caller's thread for ever.
            socket.SendTimeout = (int)Math.Clamp(_commandTimeout.TotalMilliseconds, 100, int.MaxValue);
            return c;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reopens with backoff (50 ms doubling to 2 s) after a drop; one loop at a time.</summary>
    private void Reconnect()
    {
        if (_closing.IsCancellationRequested || Interlocked.Exchange(ref _reconnecting, 1) == 1) return;
        _ = Loop();

        async Task Loop()
        {
            try
            {
                var delay = FirstRetry;
                while (!_closing.IsCancellationRequested && !_refused && Volatile.Read(ref _current) is not { IsDone: false })
                {
                    await Task.Delay(delay, _closing.Token).ConfigureAwait(false);
                    await TryOpen().ConfigureAwait(false);
                    if (Volatile.Read(ref _current) is { IsDone: false })
                        _logger.LogDebug("fast lane: reconnected to {Endpoint}", _endpoint);
                    delay = delay * 2 > LastRetry ? LastRetry : delay * 2;
                }
            }
            catch (OperationCanceledException) { }
            finally
            {
                Volatile.Write(ref _reconnecting, 0);
            }
        }
    }

    /// <summary>Called by a connection that broke: the next lane call (or this) starts reconnecting.</summary>
    internal void Broken(LaneConnection c, Exception why)
    {
        if (_closing.IsCancellationRequested) return;
        _logger.LogDebug(why, "fast lane: connection to {Endpoint} dropped; StackExchange.Redis carries the calls until it reconnects", _endpoint);
        if (ReferenceEquals(Volatile.Read(ref _current), c)) Reconnect();
    }

    public void Dispose()
    {
        _closing.Cancel();
        _timeouts.Dispose();
        Volatile.Read(ref _current)?.Dispose();
    }
}
