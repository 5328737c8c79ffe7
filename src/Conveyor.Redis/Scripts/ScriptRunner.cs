using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis.Scripts;

/// <summary>
/// Runs a script by SHA (EVALSHA). When the server does not know it (a restart, a failover to a
/// replica that never saw it, SCRIPT FLUSH) Redis answers NOSCRIPT; we then send the body once with
/// EVAL, which also caches it on that server, and later calls go back to EVALSHA. Re-running is
/// safe: NOSCRIPT means the script did not run at all.
/// </summary>
internal sealed class ScriptRunner(IConnectionMultiplexer mux, ILogger logger, int database)
{
    private IDatabase Db => mux.GetDatabase(database);

    public async Task<RedisResult> Run(StoreScript script, RedisKey[] keys, RedisValue[] args, CommandFlags flags = CommandFlags.None)
    {
        try
        {
            return await Db.ScriptEvaluateAsync(script.Sha1, keys, args, flags).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            logger.LogInformation("Redis did not know script {Script} ({Sha}); sending it once with EVAL", script.Name, script.Sha1Hex);
            return await Db.ScriptEvaluateAsync(script.Body, keys, args, flags).ConfigureAwait(false);
        }
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
