using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    public async ValueTask<IReadOnlyList<AckResult>> TaskCompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default)
    {
        var results = new AckResult[items.Count];
        var now = NowMs();
        await ForEachGroup(items.Select(i => (i.TaskId, i.LeaseToken)).ToList(), async g =>
        {
            if (g.Queue is null) { foreach (var i in g.Indexes) results[i] = new(items[i].TaskId, AckOutcome.NotFound); return; }
            var q = Q(g.Queue);
            var args = new List<RedisValue>(5 + g.Indexes.Count * 3) { q.TaskPrefix, now, q.EventsChannel, q.Name, g.Indexes.Count };
            foreach (var i in g.Indexes)
            {
                args.Add(items[i].TaskId);
                args.Add(items[i].LeaseToken);
                args.Add(items[i].Result is { } r ? r.GetRawText() : "");
            }
            var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskCompleteMany, [q.Running, q.Finished, q.Meta, q.HistoryAt(now), q.StateIndex], [.. args]).ConfigureAwait(false))!;
            for (var k = 0; k < g.Indexes.Count; k++)
                results[g.Indexes[k]] = Ack(items[g.Indexes[k]].TaskId, (int)a[2 * k], (string?)a[2 * k + 1], 0);
        }).ConfigureAwait(false);
        await RecheckNotFound(results, i => items[i].LeaseToken).ConfigureAwait(false);
        return results;
    }

    public async ValueTask<IReadOnlyList<AckResult>> TaskFailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default)
    {
        var results = new AckResult[items.Count];
        var now = NowMs();
        await ForEachGroup(items.Select(i => (i.TaskId, i.LeaseToken)).ToList(), async g =>
        {
            if (g.Queue is null) { foreach (var i in g.Indexes) results[i] = new(items[i].TaskId, AckOutcome.NotFound); return; }
            var q = Q(g.Queue);
            var args = new List<RedisValue>(6 + g.Indexes.Count * 6) { q.TaskPrefix, now, q.WakeSpec, q.EventsChannel, q.Name, g.Indexes.Count };
            foreach (var i in g.Indexes)
            {
                var it = items[i];
                args.Add(it.TaskId);
                args.Add(it.LeaseToken);
                args.Add(JsonSerializer.Serialize(it.Error, ConveyorJson.Options));
                args.Add(it.Retry ? 1 : 0);
                args.Add(it.RetryDelay is { } d ? TaskHash.Ms(d) : -1);
                // The full-jitter random is drawn here: Redis Lua's math.random is not a source to rely on.
                args.Add(Random.Shared.NextDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            }
            var keys = new[] { q.Running, q.Scheduled, q.Dead, q.Finished, q.HistoryAt(now), q.StateIndex };
            var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskFailMany, keys, [.. args]).ConfigureAwait(false))!;
            for (var k = 0; k < g.Indexes.Count; k++)
                results[g.Indexes[k]] = Ack(items[g.Indexes[k]].TaskId, (int)a[3 * k], (string?)a[3 * k + 1], (long)a[3 * k + 2]);
        }).ConfigureAwait(false);
        await RecheckNotFound(results, i => items[i].LeaseToken).ConfigureAwait(false);
        return results;
    }

    public async ValueTask<IReadOnlyList<AckResult>> TaskReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default)
    {
        var results = new AckResult[items.Count];
        var now = NowMs();
        await ForEachGroup(items.Select(i => (i.TaskId, i.LeaseToken)).ToList(), async g =>
        {
            if (g.Queue is null) { foreach (var i in g.Indexes) results[i] = new(items[i].TaskId, AckOutcome.NotFound); return; }
            var q = Q(g.Queue);
            var args = new List<RedisValue>(6 + g.Indexes.Count * 2) { q.TaskPrefix, now, q.WakeSpec, q.EventsChannel, q.Name, g.Indexes.Count };
            foreach (var i in g.Indexes) { args.Add(items[i].TaskId); args.Add(items[i].LeaseToken); }
            var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskReleaseMany, [q.Running, q.Ready, q.StateIndex], [.. args]).ConfigureAwait(false))!;
            for (var k = 0; k < g.Indexes.Count; k++)
                results[g.Indexes[k]] = Ack(items[g.Indexes[k]].TaskId, (int)a[2 * k], (string?)a[2 * k + 1], 0);
        }).ConfigureAwait(false);
        await RecheckNotFound(results, i => items[i].LeaseToken).ConfigureAwait(false);
        return results;
    }

    public async ValueTask<IReadOnlyList<LeaseExtendResult>> LeaseExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default)
    {
        var results = new LeaseExtendResult[items.Count];
        var now = NowMs();
        await ForEachGroup(items.Select(i => (i.TaskId, i.LeaseToken)).ToList(), async g =>
        {
            if (g.Queue is null) { foreach (var i in g.Indexes) results[i] = new(items[i].TaskId, AckOutcome.NotFound); return; }
            var q = Q(g.Queue);
            var args = new List<RedisValue>(3 + g.Indexes.Count * 4) { q.TaskPrefix, now, g.Indexes.Count };
            foreach (var i in g.Indexes)
            {
                var it = items[i];
                args.Add(it.TaskId);
                args.Add(it.LeaseToken);
                args.Add(TaskHash.Ms(it.Duration));
                args.Add(it.Progress is { } p ? JsonSerializer.Serialize(p, ConveyorJson.Options) : "");
            }
            var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.LeaseExtendMany, [q.Running], [.. args]).ConfigureAwait(false))!;
            for (var k = 0; k < g.Indexes.Count; k++)
            {
                var id = items[g.Indexes[k]].TaskId;
                results[g.Indexes[k]] = (int)a[2 * k] switch
                {
                    0 => new LeaseExtendResult(id, AckOutcome.Ok, DateTimeOffset.FromUnixTimeMilliseconds((long)a[2 * k + 1])),
                    1 => new LeaseExtendResult(id, AckOutcome.NotFound),
                    // Cancelled while running: the holder's heartbeat is answered (Ok) so that it learns it
                    // must fire the handler's cancellation token; the lease stays fenced, not extended.
                    3 => new LeaseExtendResult(id, AckOutcome.Ok, null, CancelRequested: true),
                    _ => new LeaseExtendResult(id, AckOutcome.StaleLease),
                };
            }
        }).ConfigureAwait(false);
        return results;
    }

    private static AckResult Ack(string id, int code, string? state, long scheduledMs) => code switch
    {
        0 => new AckResult(id, AckOutcome.Ok, ParseState(state), scheduledMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(scheduledMs) : null),
        1 => new AckResult(id, AckOutcome.NotFound),
        _ => new AckResult(id, AckOutcome.StaleLease, ParseState(state)),
    };

    private static TaskState? ParseState(string? s) => TaskStates.TryParse(s, out var st) ? st : null;

    /// <summary>
    /// Groups items by queue: from the lease token when it names one, else by probing the known queues
    /// (TaskIndex: one pipelined round trip for the batch), then runs one script per group, pipelined.
    /// </summary>
    private async Task ForEachGroup(List<(string Id, string Token)> items, Func<AckGroup, Task> run)
    {
        var groups = new Dictionary<string, AckGroup>(StringComparer.Ordinal);
        var unknown = new AckGroup(null, []);
        var lookup = new List<int>();
        for (var i = 0; i < items.Count; i++)
        {
            if (QueueOfToken(items[i].Token) is { } q) Add(q, i);
            else lookup.Add(i);
        }
        if (lookup.Count > 0)
        {
            var queues = await Idempotent(() => _index.GetMany([.. lookup.Select(i => items[i].Id)]), default).ConfigureAwait(false);
            for (var k = 0; k < lookup.Count; k++)
            {
                if (queues[k] is { } q) Add(q, lookup[k]);
                else unknown.Indexes.Add(lookup[k]);
            }
        }
        var all = groups.Values.ToList();
        if (unknown.Indexes.Count > 0) all.Add(unknown);
        await Task.WhenAll(all.Select(run)).ConfigureAwait(false);

        void Add(string queue, int index)
        {
            if (!groups.TryGetValue(queue, out var g)) groups[queue] = g = new AckGroup(queue, []);
            g.Indexes.Add(index);
        }
    }

    /// <summary>
    /// A token naming the wrong queue routes to a queue that does not hold the task, which answers
    /// "not found". If a known queue holds the id, the task exists: the token is simply not its lease.
    /// </summary>
    private async Task RecheckNotFound(AckResult[] results, Func<int, string> tokenOf)
    {
        var suspects = Enumerable.Range(0, results.Length)
            .Where(i => results[i].Outcome == AckOutcome.NotFound && QueueOfToken(tokenOf(i)) is not null).ToList();
        if (suspects.Count == 0) return;
        var queues = await _index.GetMany([.. suspects.Select(i => results[i].TaskId)]).ConfigureAwait(false);
        for (var k = 0; k < suspects.Count; k++)
        {
            if (queues[k] is not { } queue) continue;
            var id = results[suspects[k]].TaskId;
            var state = await Db.HashGetAsync(Q(queue).Task(id), "st").ConfigureAwait(false);
            if (!state.IsNull) results[suspects[k]] = new AckResult(id, AckOutcome.StaleLease, ParseState(state));
        }
    }
}
