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
}
