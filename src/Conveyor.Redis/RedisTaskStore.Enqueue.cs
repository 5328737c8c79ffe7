using System.Collections.Concurrent;
using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    /// <summary>
    /// One TaskEnqueueMany script per queue of the batch (pipelined). On standalone Redis the script
    /// also writes the global id -> queue index (its buckets are declared keys), so a single enqueue
    /// is one call; in a cluster the buckets live in other slots, so the index is written first, in
    /// one HSET per bucket. Safe to retry: an id already stored is skipped, so a retried enqueue never
    /// duplicates a task.
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
        for (var i = 0; i < tasks.Count; i++) // enqueue: no LINQ per call
        {
            if (!groups.TryGetValue(tasks[i].Queue, out var list)) groups[tasks[i].Queue] = list = [];
            list.Add(i);
        }

        var inlineIndex = IsStandalone();
        var indexWrite = inlineIndex ? Task.CompletedTask : _scripts.RefusedAsFull(_index.Set([.. tasks.Select(t => (t.Id, t.Queue))]));
        var remember = RememberQueues(groups.Keys);
        if (!indexWrite.IsCompleted || !remember.IsCompleted) await Task.WhenAll(indexWrite, remember).ConfigureAwait(false);

        var now = NowMs();
        var unused = new List<string>();
        // enqueue: one queue (every single enqueue) awaits its script alone, without WhenAll over a Select.
        var sends = groups.Count == 1 ? null : new List<Task>(groups.Count);
        foreach (var g in groups)
        {
            var sent = Send(g);
            if (sends is null) await sent.ConfigureAwait(false);
            else sends.Add(sent);
        }
        if (sends is not null) await Task.WhenAll(sends).ConfigureAwait(false);

        async Task Send(KeyValuePair<string, List<int>> g)
        {
            var q = Q(g.Key);
            var args = new List<RedisValue>(7 + g.Value.Count * 15)
            {
                q.TaskPrefix, now, TaskHash.Ms(_idempotencyWindow), q.WakeSpec, q.EventsChannel, q.Name, g.Value.Count,
            };
            var keys = new List<RedisKey>(7) { q.Ready, q.Scheduled, q.StateIndex, q.Meta, q.Idem, q.IdemExpiry };
            foreach (var i in g.Value)
            {
                var indexKey = 0;
                if (inlineIndex)
                {
                    var bucket = _keys.TaskIndexFor(tasks[i].Id);
                    indexKey = keys.IndexOf(bucket, 6) - 5;
                    if (indexKey <= 0) { keys.Add(bucket); indexKey = keys.Count - 6; }
                }
                TaskHash.AppendEnqueueArgs(args, tasks[i], indexKey);
            }
            AppendUniqueKeys(args, tasks, g.Value); // limits: unique while active
            AppendExpiries(args, keys, q, g.Value, tasks); // expiry
            var answer = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskEnqueueMany, [.. keys], [.. args]).ConfigureAwait(false))!;
            _scripts.WritesRefused.Leave();
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
        }

        // An idempotent repeat never became a task: drop the index entry written for it above (the
        // script writes none for it when it writes the index itself).
        if (unused.Count > 0 && !inlineIndex) await _index.Delete(unused).ConfigureAwait(false);
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
        List<string>? stale = null; // enqueue: no LINQ per call; a list only when a queue is due
        foreach (var q in queues)
            if (!_queuesRemembered.TryGetValue(q, out var at) || now - at > 60_000) (stale ??= []).Add(q);
        if (stale is null) return Task.CompletedTask;
        return Remember();

        async Task Remember()
        {
            await Db.SetAddAsync(_keys.Queues, [.. stale.Select(q => (RedisValue)q)]).ConfigureAwait(false);
            foreach (var q in stale) _queuesRemembered[q] = now;
        }
    }

    // 0 unknown (not connected yet), 1 one plain server (standalone, or the primary Sentinel found), 2 anything else. A deployment does not change kind.
    private int _topology;

    /// <summary>
    /// True when every key lives on one server (standalone, Sentinel), so a script may declare keys of
    /// any slot. Unknown until connected; until then the cluster-safe path is taken.
    /// </summary>
    private bool IsStandalone()
    {
        var t = Volatile.Read(ref _topology);
        if (t == 0)
        {
            foreach (var server in _mux.GetServers())
            {
                if (!server.IsConnected) continue;
                // Anything but a plain server (a cluster node, a sharding proxy, a sentinel) takes the safe path.
                t = server.ServerType == ServerType.Standalone ? 1 : 2;
                if (t == 2) break;
            }
            if (t != 0) Volatile.Write(ref _topology, t);
        }
        return t == 1;
    }
}
