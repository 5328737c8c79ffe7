using System.Text.Json;
using Conveyor.Json;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    private const int Chunk = 1000;

    public async ValueTask<int> DeadLetterRedrive(DeadLetterRedriveParams request, CancellationToken ct = default)
    {
        var total = 0;
        foreach (var (queue, id) in await DeadLetterTargets(request.TaskId, request.Queue, ct).ConfigureAwait(false))
        {
            var q = Q(queue);
            while (total < request.Limit)
            {
                var chunk = Math.Min(Chunk, request.Limit - total);
                RedisValue[] args = [q.TaskPrefix, NowMs(), id ?? "", chunk, q.WakeSpec, q.EventsChannel, queue, NewArgs(request)];
                var moved = (int)await _scripts.Run(ScriptCatalog.DeadLetterRedrive, [q.Dead, q.Done, q.Ready, q.Meta, q.StateIndex], args).ConfigureAwait(false);
                total += moved;
                if (id is not null || moved < chunk) break;
            }
        }
        return total;
    }

    public async ValueTask<int> DeadLetterPurge(DeadLetterPurgeParams request, CancellationToken ct = default)
    {
        var total = 0;
        foreach (var (queue, id) in await DeadLetterTargets(request.TaskId, request.Queue, ct).ConfigureAwait(false))
        {
            var q = Q(queue);
            while (true)
            {
                var deleted = (RedisValue[])(await _scripts.Run(ScriptCatalog.DeadLetterPurge, [q.Dead, q.Done, q.StateIndex], [q.TaskPrefix, id ?? "", Chunk]).ConfigureAwait(false))!;
                total += deleted.Length;
                if (id is not null || deleted.Length < Chunk) break;
            }
        }
        return total;
    }

    /// <summary>One id (in its queue, when it matches the filter), or every queue asked for.</summary>
    private async Task<List<(string Queue, string? Id)>> DeadLetterTargets(string? id, string? queue, CancellationToken ct)
    {
        if (id is not null)
        {
            var holder = await QueueOf(id, ct).ConfigureAwait(false);
            return holder is null || (queue is not null && queue != holder) ? [] : [(holder, id)];
        }
        return queue is not null ? [(queue, null)] : [.. (await KnownQueues(ct).ConfigureAwait(false)).Select(q => (q, (string?)null))];
    }

    public async ValueTask QueuePause(string queue, CancellationToken ct = default)
    {
        var q = Q(queue);
        await Db.SetAddAsync(_keys.Queues, queue).ConfigureAwait(false);
        await _scripts.Run(ScriptCatalog.QueuePause, [q.Meta], []).ConfigureAwait(false);
    }

    public async ValueTask QueueResume(string queue, CancellationToken ct = default)
    {
        var q = Q(queue);
        await _scripts.Run(ScriptCatalog.QueueResume, [q.Meta], [q.WakeSpec]).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<QueueInfo>> QueueList(CancellationToken ct = default)
    {
        var queues = await KnownQueues(ct).ConfigureAwait(false);
        var infos = await Task.WhenAll(queues.Select(queue => Idempotent(async () =>
        {
            var q = Q(queue);
            var c = (RedisResult[])(await _scripts.Run(ScriptCatalog.QueueCounts, [q.Ready, q.Scheduled, q.Running, q.Dead, q.Meta], [q.TaskPrefix]).ConfigureAwait(false))!;
            DateTimeOffset? oldest = (long)c[7] is >= 0 and var ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
            return new QueueInfo(queue, (int)c[0] == 1, (long)c[1], (long)c[2], (long)c[3], (long)c[4], (long)c[5], (long)c[6], oldest) { Expired = c.Length > 8 ? (long)c[8] : 0 };
        }, ct))).ConfigureAwait(false);
        return [.. infos.Where(i => i.Paused || i.Pending + i.Scheduled + i.Running + i.Succeeded + i.Failed + i.Cancelled + i.Expired > 0)];
    }
}
