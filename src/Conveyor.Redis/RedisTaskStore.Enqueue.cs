using System.Collections.Concurrent;
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

        var indexWrite = _index.Set([.. tasks.Select(t => (t.Id, t.Queue))]);
        await Task.WhenAll(indexWrite, RememberQueues(groups.Keys)).ConfigureAwait(false);

        var now = NowMs();
        var unused = new List<string>();
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
        if (unused.Count > 0) await _index.Delete(unused).ConfigureAwait(false);
        return results;
    }

    private readonly ConcurrentDictionary<string, long> _queuesRemembered = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds queues to the known-queue set (what maintenance and QueueList walk). A process re-adds a
    /// queue at most once a minute rather than on every batch; the re-add keeps the set right even
    /// after Redis lost its data.
    /// </summary>
    private Task RememberQueues(IEnumerable<string> queues)
    {
        var now = Environment.TickCount64;
        var stale = queues.Where(q => !_queuesRemembered.TryGetValue(q, out var at) || now - at > 60_000).ToArray();
        if (stale.Length == 0) return Task.CompletedTask;
        return Remember();

        async Task Remember()
        {
            await Db.SetAddAsync(_keys.Queues, [.. stale.Select(q => (RedisValue)q)]).ConfigureAwait(false);
            foreach (var q in stale) _queuesRemembered[q] = now;
        }
    }
}
