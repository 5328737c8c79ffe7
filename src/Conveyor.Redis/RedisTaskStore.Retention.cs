using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Retention;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

// RetentionGet / RetentionSet (a STRING key, RedisKeys.Retention) and MaintenanceRun with a retention
// policy (Lua/MaintenanceRun.lua).
public sealed partial class RedisTaskStore
{
    public async ValueTask<RetentionPolicy?> RetentionGet(CancellationToken ct = default)
    {
        var json = await Idempotent(async () => await Db.StringGetAsync(_keys.Retention).ConfigureAwait(false), ct).ConfigureAwait(false);
        return json.IsNull ? null : RetentionPolicy.FromJson(json.ToString());
    }

    public async ValueTask RetentionSet(RetentionPolicy? policy, CancellationToken ct = default)
    {
        if (policy is null) await Db.KeyDeleteAsync(_keys.Retention).ConfigureAwait(false);
        else await Db.StringSetAsync(_keys.Retention, policy.Validated().ToJson()).ConfigureAwait(false);
    }

    public ValueTask<MaintenanceResult> MaintenanceRun(TimeSpan retention, CancellationToken ct = default) =>
        MaintenanceRun(new MaintenanceRunParams(RetentionPolicy.Uniform(retention)), ct);

    /// <summary>
    /// One MaintenanceRun script per known queue, repeated (up to a bound) while a step hit its limit,
    /// until <see cref="MaintenanceRunParams.RetentionLimit"/> tasks were deleted in all.
    /// Expired lease reclaim is where "an expired lease is a failed attempt" is decided; see the script.
    /// </summary>
    public async ValueTask<MaintenanceResult> MaintenanceRun(MaintenanceRunParams request, CancellationToken ct = default)
    {
        if (request.RetentionLimit is < 1 or > 100_000) throw new ArgumentOutOfRangeException(nameof(request), "RetentionLimit must be 1..100000");
        int promoted = 0, reclaimed = 0, expired = 0;
        var reclaims = new MaintenanceReclaims();
        var expiries = new Dictionary<(string, string), int>(); // expiry
        foreach (var queue in await KnownQueues(ct).ConfigureAwait(false))
        {
            var q = Q(queue);
            // expiry: before MaintenanceRun.lua's promotion, so an expired due task is not made pending.
            var exp = request.Retention.For(queue, TaskState.Expired);
            var expNow = _time.GetUtcNow();
            var (types, gone) = await TaskExpire(q, queue, new RetentionLimitMs((expNow - exp.MaxAge).ToUnixTimeMilliseconds(), exp.MaxCount ?? -1),
                Math.Max(0, Math.Min(Chunk, request.RetentionLimit - expired))).ConfigureAwait(false);
            expired += gone.Count;
            foreach (var t in types) expiries[(queue, t)] = expiries.GetValueOrDefault((queue, t)) + 1;
            for (var round = 0; round < 20; round++)
            {
                ct.ThrowIfCancellationRequested();
                var now = _time.GetUtcNow();
                var budget = Math.Min(Chunk, request.RetentionLimit - expired);
                RedisValue[] args =
                [
                    q.TaskPrefix, now.ToUnixTimeMilliseconds(), 0, Chunk,
                    Random.Shared.Next(1, int.MaxValue), q.WakeSpec, q.EventsChannel, queue, budget,
                    .. Limits(request.Retention, queue, now),
                ];
                var keys = new[]
                {
                    q.Ready, q.Scheduled, q.Running, q.Done, q.Dead, q.StateIndex, q.Meta, q.Idem, q.IdemExpiry, q.Finished,
                    q.HistoryAt(now.ToUnixTimeMilliseconds()), q.FinishedSucceeded, q.FinishedFailed, q.FinishedCancelled,
                };
                var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.MaintenanceRun, keys, args).ConfigureAwait(false))!;
                int p = (int)a[0], r = (int)a[1], e = (int)a[2], walked = (int)a[3];
                promoted += p; reclaimed += r; expired += e;
                for (var i = 4 + e; i + 1 < a.Length; i += 2) reclaims.Add(queue, (string)a[i]!, dead: (int)a[i + 1] == 1);
                if (expired >= request.RetentionLimit) walked = 0;
                if (p < Chunk && r < Chunk && walked < Chunk) break;
            }
        }
        return new MaintenanceResult(promoted, reclaimed, expired)
        {
            Reclaims = reclaims.ToList(),
            Expiries = [.. expiries.Select(kv => new MaintenanceExpiry(kv.Key.Item1, kv.Key.Item2, kv.Value))],
        };
    }

    /// <summary>ARGV 10..15 of MaintenanceRun.lua: cutoff ms and max count (-1: none) of succeeded, failed, cancelled.</summary>
    private static IEnumerable<RedisValue> Limits(RetentionPolicy policy, string queue, DateTimeOffset now)
    {
        foreach (var state in RetentionPolicy.States)
        {
            var limit = policy.For(queue, state);
            yield return (now - limit.MaxAge).ToUnixTimeMilliseconds();
            yield return limit.MaxCount ?? -1;
        }
    }
}
