using System.Globalization;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

// Records for a delivery kept outside Redis (RabbitMQ, docs/rabbitmq.md): the ready set is the outbox,
// the lease by id is the fence. Each operation is one script on one queue's slot.
public sealed partial class RedisTaskStore : IOutboxRecords
{
    public async ValueTask<OutboxBatch> OutboxTake(string queue, int limit, CancellationToken ct = default)
    {
        var q = Q(queue);
        var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.OutboxTake, [q.Ready, q.Scheduled, q.Meta, q.StateIndex, q.Expiring, q.FinishedExpired],
            [q.TaskPrefix, NowMs(), limit, q.EventsChannel, queue, PromoteLimit]).ConfigureAwait(false))!;
        var entries = new List<OutboxEntry>((a.Length - 2) / 3);
        for (var i = 2; i + 2 < a.Length; i += 3)
            entries.Add(new OutboxEntry((string)a[i]!, (int)a[i + 1], long.Parse((string)a[i + 2]!, CultureInfo.InvariantCulture)));
        var next = (long)a[1];
        return new OutboxBatch(entries, (long)a[0] == 1, next >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(next) : null);
    }

    public async ValueTask OutboxConfirm(string queue, long seq, CancellationToken ct = default) =>
        await _scripts.Run(ScriptCatalog.OutboxConfirm, [Q(queue).Meta], [seq]).ConfigureAwait(false);

    public async ValueTask<TaskLeaseByIdsResult> TaskLeaseByIds(TaskLeaseByIdsParams request, CancellationToken ct = default)
    {
        if (request.TaskIds.Count == 0) return new(false, []);
        var q = Q(request.Queue);
        var leaseMs = TaskHash.Ms(request.LeaseDuration);
        var nowMs = NowMs();
        var nonce = Guid.NewGuid().ToString("N")[..16];
        // The token has TaskLease's shape ("<queue>/<nonce>.<n>"), so every ack routes as on Redis alone.
        var written = new TaskHash.LeaseWrite(nowMs, nowMs + leaseMs, request.WorkerId, $"{request.Queue}/{nonce}.", request.Queue);
        var args = new List<RedisValue>(7 + request.TaskIds.Count)
        {
            q.TaskPrefix, nowMs, leaseMs, request.WorkerId, written.TokenPrefix, q.EventsChannel, request.Queue,
        };
        foreach (var id in request.TaskIds) args.Add(id);
        var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskLeaseByIds, [q.Ready, q.Running, q.Meta, q.StateIndex, q.Scheduled, q.Expiring, q.FinishedExpired], [.. args]).ConfigureAwait(false))!;
        if ((long)a[0] == -2) return new(true, [.. request.TaskIds.Select(_ => (LeasedTask?)null)]);
        var leased = new LeasedTask?[request.TaskIds.Count];
        for (var i = 1; i < a.Length; i++)
        {
            if (a[i].IsNull || a[i].Resp2Type != ResultType.Array) continue;
            var (task, token) = TaskHash.ReadLeased((RedisValue[])a[i]!, written, i);
            leased[i - 1] = new LeasedTask(task, token, task.LeaseDeadline ?? DateTimeOffset.FromUnixTimeMilliseconds(0));
        }
        return new(false, leased);
    }

    public async ValueTask<IReadOnlyList<AckResult>> OutboxRelease(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default)
    {
        var results = new AckResult[items.Count];
        var now = NowMs();
        await ForEachGroup(items.Select(i => (i.TaskId, i.LeaseToken)).ToList(), async g =>
        {
            if (g.Queue is null) { foreach (var i in g.Indexes) results[i] = new(items[i].TaskId, AckOutcome.NotFound); return; }
            var q = Q(g.Queue);
            var args = new List<RedisValue>(5 + g.Indexes.Count * 2) { q.TaskPrefix, now, q.EventsChannel, q.Name, g.Indexes.Count };
            foreach (var i in g.Indexes) { args.Add(items[i].TaskId); args.Add(items[i].LeaseToken); }
            var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.OutboxRelease, [q.Running, q.Ready, q.Meta, q.StateIndex], [.. args]).ConfigureAwait(false))!;
            for (var k = 0; k < g.Indexes.Count; k++)
                results[g.Indexes[k]] = Ack(items[g.Indexes[k]].TaskId, (int)a[2 * k], (string?)a[2 * k + 1], 0);
        }).ConfigureAwait(false);
        await RecheckNotFound(results, i => items[i].LeaseToken).ConfigureAwait(false);
        return results;
    }

    public async ValueTask<Task> LeaseWakeArm(string queue, CancellationToken ct = default) => await _wake.Arm(queue).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<string>> OutboxQueues(CancellationToken ct = default) =>
        [.. await KnownQueues(ct).ConfigureAwait(false)];
}
