using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

// TaskList's search filters, and the dashboard's task actions: retry now, delete, the bulk-action audit
// log, dead letters by error type. Per-id operations find each id's queue in the id index, then run one
// script per queue (one slot) for that queue's ids.
public sealed partial class RedisTaskStore
{
    private static RedisValue[] SearchArgs(TaskListParams query) =>
        [query.IdempotencyKey ?? "", query.TagKey ?? "", query.TagValue ?? "", query.Error ?? "", query.ErrorType ?? ""];

    private static RedisValue NewArgs(DeadLetterRedriveParams request) =>
        request.TaskId is not null && request.Args is { } args ? args.GetRawText() : "";

    public async ValueTask<IReadOnlyList<RetryResult>> TaskRetryMany(IReadOnlyList<string> ids, CancellationToken ct = default)
    {
        var results = new RetryResult[ids.Count];
        foreach (var (queue, positions) in await ByQueue(ids, ct).ConfigureAwait(false))
        {
            if (queue is null)
            {
                foreach (var i in positions) results[i] = new RetryResult(ids[i], RetryOutcome.NotFound);
                continue;
            }
            var q = Q(queue);
            RedisValue[] args = [q.TaskPrefix, NowMs(), q.WakeSpec, q.EventsChannel, queue, .. positions.Select(i => (RedisValue)ids[i])];
            var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskRetryMany, [q.Ready, q.Scheduled, q.Dead, q.Done, q.Meta, q.StateIndex], args).ConfigureAwait(false))!;
            for (var k = 0; k < positions.Count; k++)
            {
                var r = (RedisResult[])a[k]!;
                var id = ids[positions[k]];
                results[positions[k]] = (int)r[0] switch
                {
                    0 => new RetryResult(id, RetryOutcome.Retried, TaskState.Pending),
                    2 => new RetryResult(id, RetryOutcome.WrongState, TaskStates.TryParse((string?)r[1], out var s) ? s : null),
                    _ => new RetryResult(id, RetryOutcome.NotFound),
                };
            }
        }
        return results;
    }

    public async ValueTask<IReadOnlyList<DeleteResult>> TaskDeleteMany(IReadOnlyList<string> ids, CancellationToken ct = default)
    {
        var results = new DeleteResult[ids.Count];
        foreach (var (queue, positions) in await ByQueue(ids, ct).ConfigureAwait(false))
        {
            if (queue is null)
            {
                foreach (var i in positions) results[i] = new DeleteResult(ids[i], DeleteOutcome.NotFound);
                continue;
            }
            var q = Q(queue);
            RedisValue[] args = [q.TaskPrefix, .. positions.Select(i => (RedisValue)ids[i])];
            var keys = new[] { q.Ready, q.Scheduled, q.Dead, q.Done, q.StateIndex, q.Meta, q.Idem, q.IdemExpiry };
            var codes = (int[])(await _scripts.Run(ScriptCatalog.TaskDeleteMany, keys, args).ConfigureAwait(false))!;
            for (var k = 0; k < positions.Count; k++)
            {
                var id = ids[positions[k]];
                var outcome = codes[k] switch { 0 => DeleteOutcome.Deleted, 2 => DeleteOutcome.Running, _ => DeleteOutcome.NotFound };
                results[positions[k]] = new DeleteResult(id, outcome);
            }
        }
        return results;
    }

    /// <summary>The positions of <paramref name="ids"/> grouped by the queue that holds each (null: no such task).</summary>
    private async Task<List<(string? Queue, List<int> Positions)>> ByQueue(IReadOnlyList<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        var queues = await Idempotent(() => _index.GetMany(ids), ct).ConfigureAwait(false);
        return [.. Enumerable.Range(0, ids.Count).GroupBy(i => queues[i] ?? "").Select(g => (g.Key.Length == 0 ? null : g.Key, g.ToList()))];
    }

    public async ValueTask BulkActionRecord(BulkActionRecord record, CancellationToken ct = default)
    {
        var json = JsonSerializer.Serialize(record, ConveyorJson.Options);
        await _scripts.Run(ScriptCatalog.BulkActionRecord, [_keys.BulkActions], [json, Store.BulkActionRecord.Kept]).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<BulkActionRecord>> BulkActionList(int limit, CancellationToken ct = default)
    {
        var n = Math.Clamp(limit, 1, Store.BulkActionRecord.Kept);
        var items = await Idempotent(() => Db.ListRangeAsync(_keys.BulkActions, 0, n - 1), ct).ConfigureAwait(false);
        return [.. items.Select(v => JsonSerializer.Deserialize<BulkActionRecord>((string)v!, ConveyorJson.Options)!)];
    }

    /// <summary>One bounded DeadLetterGroups script per queue (the newest <see cref="Store.DeadLetterGroups.ScanLimit"/> dead tasks of each), merged.</summary>
    public async ValueTask<DeadLetterGroups> DeadLetterGroups(string? queue, CancellationToken ct = default)
    {
        var queues = queue is { } one ? [one] : await KnownQueues(ct).ConfigureAwait(false);
        var answers = await Task.WhenAll(queues.Select(name => Idempotent(async () =>
        {
            var q = Q(name);
            return (RedisResult[])(await _scripts.Run(ScriptCatalog.DeadLetterGroups, [q.Dead], [q.TaskPrefix, Store.DeadLetterGroups.ScanLimit]).ConfigureAwait(false))!;
        }, ct))).ConfigureAwait(false);
        var complete = true;
        var merged = new Dictionary<string, DeadLetterGroup>(StringComparer.Ordinal);
        foreach (var a in answers)
        {
            complete &= (int)a[0] == 1;
            for (var i = 1; i + 3 < a.Length; i += 4)
            {
                var type = (string?)a[i] ?? "";
                var count = (long)a[i + 1];
                var sample = a[i + 2].IsNull ? null : (string?)a[i + 2];
                DateTimeOffset? last = (long)a[i + 3] is var ms and > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
                merged[type] = merged.TryGetValue(type, out var g)
                    ? new DeadLetterGroup(type, g.Count + count, last > g.LastAt ? sample : g.SampleMessage, last > g.LastAt ? last : g.LastAt)
                    : new DeadLetterGroup(type, count, sample, last);
            }
        }
        return new DeadLetterGroups([.. merged.Values.OrderByDescending(g => g.Count).ThenBy(g => g.ErrorType, StringComparer.Ordinal)], complete);
    }
}
