using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis.Scripts;

/// <summary>
/// Runs a script by SHA (EVALSHA). When the server does not know it (a restart, a failover to a
/// replica that never saw it, SCRIPT FLUSH) Redis answers NOSCRIPT; we then send the body once with
/// EVAL, which also caches it on that server, and later calls go back to EVALSHA. Re-running is
/// safe: NOSCRIPT means the script did not run at all. An OOM answer (Redis at <c>maxmemory</c> with
/// <c>noeviction</c>) becomes <see cref="Conveyor.Store.StoreFullException"/>, logged once per episode: our
/// scripts carry no <c>#!lua</c> flags, so Redis refuses one at its first command that adds data, and
/// only while it has written nothing yet (later writes of a script that has started writing are
/// let through, so a script is never cut in half). Nothing of a refused script was written.
/// </summary>
internal sealed partial class ScriptRunner(IConnectionMultiplexer mux, ILogger logger, int database)
{
    private IDatabase Db => mux.GetDatabase(database);

    /// <summary>Redis refusing writes (OOM): one warning when it starts, one line when an enqueue goes through again.</summary>
    public Conveyor.Store.StorageEpisode WritesRefused { get; } = new(logger, "Redis");

    /// <summary>Fails scripts fast while Redis does not answer (a partition): see <see cref="StoreCircuit"/>.</summary>
    public StoreCircuit Circuit { get; } = new(mux, logger, database);

    public async Task<RedisResult> Run(StoreScript script, RedisKey[] keys, RedisValue[] args, CommandFlags flags = CommandFlags.None)
    {
        Circuit.ThrowIfOpen(); // faults2
        try
        {
            try
            {
                return await Evaluate(script, keys, args, flags, bySha: true).ConfigureAwait(false); // fastlane
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                logger.LogInformation("Redis did not know script {Script} ({Sha}); sending it once with EVAL", script.Name, script.Sha1Hex);
                return await Evaluate(script, keys, args, flags, bySha: false).ConfigureAwait(false); // fastlane
            }
        }
        catch (RedisServerException e) when (IsOom(e))
        {
            throw Refused(e);
        }
        catch (Exception e) when (RedisErrors.Unreachable(e) is { } unreachable)
        {
            if (unreachable is { OutcomeUnknown: true, InnerException: RedisTimeoutException }) Circuit.Trip(unreachable); // sent, unanswered: a silent partition
            throw unreachable; // faults2: a partition or a Redis that is down is a store-level error (503/504), not a 500
        }
    }

    /// <summary>A plain write (not a script, e.g. a cluster's index HSET) whose OOM refusal is reported like a script's.</summary>
    public async Task RefusedAsFull(Task write)
    {
        try { await write.ConfigureAwait(false); }
        catch (RedisServerException e) when (IsOom(e)) { throw Refused(e); }
    }

    private static bool IsOom(RedisServerException e) => e.Message.StartsWith("OOM", StringComparison.Ordinal);

    private Conveyor.Store.StoreFullException Refused(RedisServerException e)
    {
        const string reason = "it is at maxmemory with maxmemory-policy noeviction (OOM); free memory or raise maxmemory";
        WritesRefused.Enter(reason);
        return new Conveyor.Store.StoreFullException($"Redis refuses writes: {reason}. Nothing of this request was stored.", e);
    }

    /// <summary>
    /// SCRIPT LOAD every script on every connected primary (at connect and after a reconnect), so the
    /// first calls of many concurrent workers do not all meet NOSCRIPT. Best effort: a failure only
    /// means the NOSCRIPT fallback will do the loading.
    /// </summary>
    public async Task Preload(EndPoint? only = null)
    {
        foreach (var server in mux.GetServers())
        {
            if (!server.IsConnected || server.IsReplica || (only is not null && !only.Equals(server.EndPoint))) continue;
            try
            {
                await Task.WhenAll(ScriptCatalog.All.Select(s => server.ScriptLoadAsync(s.Body))).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogDebug(e, "could not preload scripts on {Endpoint}; NOSCRIPT fallback will load them", server.EndPoint);
            }
        }
    }
}
