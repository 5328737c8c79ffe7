using System.Collections.Frozen;
using Conveyor.Redis.Lane;
using StackExchange.Redis;

namespace Conveyor.Redis.Scripts;

internal sealed partial class ScriptRunner
{
    /// <summary>fastlane: the scripts on the hot path (one submit, one lease, one acknowledgement), with their encoded EVALSHA and EVAL heads.</summary>
    private static readonly FrozenDictionary<StoreScript, (byte[] BySha, byte[] ByBody)> LaneScripts =
        new[] { ScriptCatalog.TaskEnqueueMany, ScriptCatalog.TaskLease, ScriptCatalog.TaskCompleteMany }
            .ToFrozenDictionary(s => s, s => (Resp.Head("EVALSHA", s.Sha1Hex), Resp.Head("EVAL", s.Body)));

    /// <summary>The store's own connection for the hot scripts, when it applies (set once, after connecting).</summary>
    public RespLane? Lane { get; set; }

    private Task<RedisResult> Evaluate(StoreScript script, RedisKey[] keys, RedisValue[] args, CommandFlags flags, bool bySha)
    {
        if (flags == CommandFlags.None && Lane?.Current is { } lane && LaneScripts.TryGetValue(script, out var heads))
            return lane.Send(bySha ? heads.BySha : heads.ByBody, 2, keys, args);
        return bySha ? Db.ScriptEvaluateAsync(script.Sha1, keys, args, flags) : Db.ScriptEvaluateAsync(script.Body, keys, args, flags);
    }
}
