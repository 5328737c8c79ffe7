using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// This machine's clock corrected by its offset from Redis' clock (<c>TIME</c>), so that every broker
/// and worker sharing one Redis reads the same "now" whatever its own clock says: a lease's deadline
/// and a delayed task's due time are then judged on one clock, and a machine 30 s ahead neither
/// reclaims a live lease nor promotes a task early. The offset is measured at connect and re-measured
/// every <see cref="RefreshEvery"/> (and after a reconnect) from the midpoint of a round trip; a
/// sample whose round trip took longer than <see cref="MaxRoundTrip"/> is discarded, so the error of
/// the offset is under half of that. Until the first measurement succeeds (Redis unreachable at
/// start) the offset is zero; nothing can be stored then anyway. In a Cluster the offset is measured
/// against one primary (the first by endpoint): keep the nodes' clocks in step (NTP) among themselves.
/// </summary>
internal sealed class RedisClock(IConnectionMultiplexer mux, ILogger logger) : TimeProvider
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan MaxRoundTrip = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan WarnAbove = TimeSpan.FromSeconds(1);

    private long _offsetTicks;
    private bool _warned;

    /// <summary>Redis' clock minus this machine's, as last measured.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>One measurement; false when Redis did not answer (the last offset stays).</summary>
    public async Task<bool> Measure()
    {
        var server = mux.GetServers().Where(s => s.IsConnected && !s.IsReplica).OrderBy(s => s.EndPoint.ToString(), StringComparer.Ordinal).FirstOrDefault();
        if (server is null) return false;
        try
        {
            var sent = System.GetTimestamp();
            var before = System.GetUtcNow();
            var redisNow = await server.TimeAsync().ConfigureAwait(false);
            var roundTrip = System.GetElapsedTime(sent);
            if (roundTrip > MaxRoundTrip) return false;
            var offset = new DateTimeOffset(DateTime.SpecifyKind(redisNow, DateTimeKind.Utc)) - (before + roundTrip / 2);
            Interlocked.Exchange(ref _offsetTicks, offset.Ticks);
            if (offset.Duration() > WarnAbove && !_warned)
            {
                _warned = true;
                logger.LogWarning("This machine's clock is {Seconds:0.000} s {Direction} Redis' clock ({Endpoint}); Conveyor uses Redis' time for leases and due times",
                    offset.Duration().TotalSeconds, offset < TimeSpan.Zero ? "ahead of" : "behind", server.EndPoint);
            }
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Re-measures every <see cref="RefreshEvery"/> until <paramref name="ct"/> ends.</summary>
    public async Task RefreshLoop(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RefreshEvery, System);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) await Measure().ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
    }
}
