using System.Collections.Concurrent;
using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    /// <summary>
    /// One TaskEnqueueMany script per queue of the batch (pipelined), after the queues are known
    /// (RememberQueues: what a bare-id read probes, so there is no id -> queue index since layout 3).
    /// Safe to retry: an id already stored is skipped, so a retried enqueue never duplicates a task.
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

        var remember = RememberQueues(groups.Keys);
        if (!remember.IsCompleted) await remember.ConfigureAwait(false);

        var now = NowMs();
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
            foreach (var i in g.Value) TaskHash.AppendEnqueueArgs(args, tasks[i]);
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
                    2 => new EnqueueResult(TaskHash.Read(item[1], q.Name), true),
                    _ => new EnqueueResult(TaskHash.Read(item[1], q.Name), false),
                };
            }
        }
        return results;
    }

    private readonly ConcurrentDictionary<string, long> _queuesRemembered = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds queues to the known-queue set (what maintenance and QueueList walk, and a bare-id read probes:
    /// TaskIndex), before their tasks are written. A process re-adds a
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
}
