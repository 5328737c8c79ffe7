using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

// HistoryList: the per-minute outcome counts that TaskCompleteMany, TaskFailMany and MaintenanceRun keep
// in each queue's per-day hashes (RedisKeys: {q:<queue>}:hist:<day>).
public sealed partial class RedisTaskStore
{
    /// <summary>One HistoryList script per queue (every known queue when none is given), summed per minute in .NET.</summary>
    public async ValueTask<IReadOnlyList<HistoryBucket>> HistoryList(HistoryListParams request, CancellationToken ct = default)
    {
        long from = HistoryMinutes.Of(request.From), to = HistoryMinutes.Of(request.To);
        var queues = request.Queue is { } one ? [one] : await KnownQueues(ct).ConfigureAwait(false);
        var found = new Dictionary<long, (long Succeeded, long Failed)>();
        if (to > from)
        {
            long firstDay = Math.DivRem(from, 1440, out var r1) - (r1 < 0 ? 1 : 0), lastDay = Math.DivRem(to - 1, 1440, out var r2) - (r2 < 0 ? 1 : 0);
            var pages = await Task.WhenAll(queues.Select(queue => Idempotent(async () =>
            {
                var q = Q(queue);
                var keys = new RedisKey[lastDay - firstDay + 1];
                for (var d = firstDay; d <= lastDay; d++) keys[d - firstDay] = q.History(d);
                return (RedisValue[])(await _scripts.Run(ScriptCatalog.HistoryList, keys, [from, to]).ConfigureAwait(false))!;
            }, ct))).ConfigureAwait(false);
            foreach (var page in pages)
            {
                for (var i = 0; i + 2 < page.Length; i += 3)
                {
                    var minute = (long)page[i];
                    var c = found.GetValueOrDefault(minute);
                    found[minute] = (c.Succeeded + (long)page[i + 1], c.Failed + (long)page[i + 2]);
                }
            }
        }
        return HistoryMinutes.Fill(from, to, found);
    }
}
