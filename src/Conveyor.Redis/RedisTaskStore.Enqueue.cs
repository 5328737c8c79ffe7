using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    /// <summary>
    /// One TaskEnqueueMany script per queue of the batch (pipelined), after one write of the global
    /// id -> queue index and known-queue set. Safe to retry: an id already stored is skipped, so a
    /// retried enqueue never duplicates a task.
    /// </summary>
    public async ValueTask<IReadOnlyList<EnqueueResult>> TaskEnqueueMany(IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default)
    {
        if (tasks.Count == 0) return [];
        return await Idempotent(() => EnqueueOnce(tasks), ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<EnqueueResult>> EnqueueOnce(IReadOnlyList<TaskRecord> tasks)
    {
        var results = new EnqueueResult[tasks.Count];
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var (t, i) in tasks.Select((t, i) => (t, i)))
        {
            if (!groups.TryGetValue(t.Queue, out var list)) groups[t.Queue] = list = [];
            list.Add(i);
        }

        var index = new HashEntry[tasks.Count];
        for (var i = 0; i < tasks.Count; i++) index[i] = new HashEntry(tasks[i].Id, tasks[i].Queue);
        var db = Db;
        var indexWrite = db.HashSetAsync(_keys.TaskIndex, index);
        var queuesWrite = db.SetAddAsync(_keys.Queues, groups.Keys.Select(q => (RedisValue)q).ToArray());
        await Task.WhenAll(indexWrite, queuesWrite).ConfigureAwait(false);

        var now = NowMs();
        var unused = new List<RedisValue>();
        await Task.WhenAll(groups.Select(async g =>
        {
            var q = Q(g.Key);
            var args = new List<RedisValue>(7 + g.Value.Count * 15)
            {
                q.TaskPrefix, now, TaskHash.Ms(_idempotencyWindow), q.WakeSpec, q.EventsChannel, q.Name, g.Value.Count,
            };
            foreach (var i in g.Value) TaskHash.AppendEnqueueArgs(args, tasks[i]);
            var keys = new[] { q.Ready, q.Scheduled, q.All, q.Meta, q.Idem, q.IdemExpiry };
            var answer = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskEnqueueMany, keys, [.. args]).ConfigureAwait(false))!;
            for (var k = 0; k < g.Value.Count; k++)
            {
                var i = g.Value[k];
                var item = (RedisResult[])answer[k]!;
                var code = (int)item[0];
                // 1: created now. 2: this very id was already stored: a retry of the same submission,
                // so it was created by it. 0: the idempotency key's holder, which is another task.
                results[i] = code switch
                {
                    1 => new EnqueueResult(tasks[i], true),
                    2 => new EnqueueResult(TaskHash.Read(item[1]), true),
                    _ => new EnqueueResult(TaskHash.Read(item[1]), false),
                };
                if (code == 0) lock (unused) unused.Add(tasks[i].Id);
            }
        })).ConfigureAwait(false);

        // An idempotent repeat never became a task: drop the index entry written for it above.
        if (unused.Count > 0) await db.HashDeleteAsync(_keys.TaskIndex, [.. unused]).ConfigureAwait(false);
        return results;
    }
}
