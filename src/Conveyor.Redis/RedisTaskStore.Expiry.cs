using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

// Expiry (issue 14 item 4): the queue's "exp" ZSET (id -> expires_at ms) written by TaskEnqueueMany,
// checked inside TaskLease.lua (expire_due in Lib.lua) and by TaskExpire.lua in MaintenanceRun, which
// also applies retention to expired tasks ("fin:expired").
public sealed partial class RedisTaskStore
{
    public bool SupportsExpiry => true;

    /// <summary>TaskEnqueueMany's optional tail: m, then (task number, expires_at ms) pairs, and the "exp" key as the last key.</summary>
    private static void AppendExpiries(List<RedisValue> args, List<RedisKey> keys, QueueKeys q, List<int> group, IReadOnlyList<TaskRecord> tasks)
    {
        var start = -1;
        for (var k = 0; k < group.Count; k++)
        {
            if (tasks[group[k]].ExpiresAt is not { } at) continue;
            if (start < 0) { args.Add("expiry"); start = args.Count; args.Add(0); }
            args.Add(k);
            args.Add(at.ToUnixTimeMilliseconds());
        }
        if (start < 0) return;
        args[start] = (args.Count - start - 1) / 2;
        keys.Add(q.Expiring);
    }

    /// <summary>MaintenanceRun's expiry step for one queue (TaskExpire.lua): ends what expired, deletes expired tasks past retention.</summary>
    private async Task<(IReadOnlyList<string> Types, IReadOnlyList<string> Deleted)> TaskExpire(QueueKeys q, string queue, RetentionLimitMs limit, int budget)
    {
        RedisValue[] args = [q.TaskPrefix, NowMs(), Chunk, q.EventsChannel, queue, limit.CutoffMs, limit.MaxCount, budget];
        var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskExpire, [q.Expiring, q.Ready, q.Scheduled, q.FinishedExpired, q.Meta, q.StateIndex], args).ConfigureAwait(false))!;
        int n = (int)a[0], d = (int)a[1];
        var types = a.Skip(2).Take(n).Select(x => (string)x!).ToList();
        var deleted = a.Skip(2 + n).Take(d).Select(x => (string)x!).ToList();
        return (types, deleted);
    }

    private readonly record struct RetentionLimitMs(long CutoffMs, long MaxCount);
}
