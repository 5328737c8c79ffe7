using Conveyor.Store;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    private StoreReadiness? _policy;
    private long _policyReadAt;
    private int _policyUnreadableWarned;

    /// <summary>
    /// Not ready when Redis does not answer, or when a primary may evict keys: any
    /// <c>maxmemory-policy</c> but <c>noeviction</c> (allkeys-* evict anything, volatile-* evict keys with
    /// a TTL, and Conveyor's keys may carry one) can drop an acknowledged task without a word. The
    /// policy is read from <c>INFO memory</c> on every primary (every node of a Cluster), at most every
    /// <see cref="StoreReadiness.PolicyRecheck"/>; INFO works where a managed Redis disables CONFIG.
    /// Where it cannot be read at all, that is logged once and the store carries on.
    /// </summary>
    public async ValueTask<StoreReadiness> StoreReadinessCheck(CancellationToken ct = default)
    {
        if (!await Ping(ct).ConfigureAwait(false))
            return StoreReadiness.Unreachable("Redis does not answer; the connection is being re-established in the background");
        if (_policy is { } cached && _time.GetElapsedTime(Volatile.Read(ref _policyReadAt)) < StoreReadiness.PolicyRecheck) return cached;
        var fresh = await EvictionPolicyCheck().ConfigureAwait(false);
        _policy = fresh;
        Volatile.Write(ref _policyReadAt, _time.GetTimestamp());
        return fresh;
    }

    /// <summary>At connect: a Redis that may evict keys is refused before anything is stored in it.</summary>
    private async ValueTask RefuseEvictingRedis()
    {
        var readiness = await EvictionPolicyCheck().ConfigureAwait(false);
        if (readiness.Condition != StoreCondition.EvictionPolicy) return;
        await DisposeAsync().ConfigureAwait(false);
        throw new StoreConfigurationException(readiness.Detail!);
    }

    private async Task<StoreReadiness> EvictionPolicyCheck()
    {
        foreach (var server in _mux.GetServers())
        {
            if (!server.IsConnected || server.IsReplica) continue;
            string? policy = null;
            try
            {
                // Sent as a raw command: StackExchange.Redis counts its INFO helper as an admin command,
                // and this store must not need allowAdmin.
                var info = (string?)await server.ExecuteAsync("INFO", "memory").ConfigureAwait(false) ?? "";
                foreach (var line in info.Split('\n'))
                    if (line.StartsWith("maxmemory_policy:", StringComparison.Ordinal)) policy = line["maxmemory_policy:".Length..].Trim();
            }
            catch (Exception e) when (e is RedisException or TimeoutException or InvalidOperationException)
            {
                WarnPolicyUnreadable(server, e.Message);
                continue;
            }
            if (policy is null) WarnPolicyUnreadable(server, "INFO memory has no maxmemory_policy");
            else if (!string.Equals(policy, "noeviction", StringComparison.OrdinalIgnoreCase))
                return new StoreReadiness(StoreCondition.EvictionPolicy,
                    $"Redis {server.EndPoint} has maxmemory-policy {policy}, which can evict Conveyor's keys and so lose acknowledged tasks; " +
                    "set maxmemory-policy to noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf)");
        }
        return StoreReadiness.Ready;
    }

    private void WarnPolicyUnreadable(IServer server, string why)
    {
        if (Interlocked.Exchange(ref _policyUnreadableWarned, 1) == 0)
            _logger.LogWarning("Cannot read the maxmemory-policy of Redis {Endpoint} ({Why}); make sure it is noeviction, or acknowledged tasks may be evicted. Carrying on", server.EndPoint, why);
    }
}
