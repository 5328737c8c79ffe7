using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// memory: how an operation given only a task id (TaskGet, TaskCancel, DeadLetterPurge by id, a bulk
/// action by ids, an ack whose token names no queue) finds the queue that holds the task, since
/// layout 3 without an id -> queue index (it cost 108 B per task): it probes the task's key in every
/// known queue (the <c>{g}:queues</c> set, which an enqueue writes before its tasks), one
/// <c>EXISTS</c> per queue and id, all pipelined: one round trip for the set and one for the probes,
/// whatever the number of queues, at one command per known queue per id. Queues are few; a deployment
/// with thousands of queues pays thousands of commands per bare-id read. Reads may be retried.
/// </summary>
internal sealed class TaskIndex(Func<IDatabase> db, Func<CancellationToken, Task<string[]>> knownQueues, Func<string, QueueKeys> queueKeys)
{
    public async Task<string?> Get(string id) => (await GetMany([id]).ConfigureAwait(false))[0];

    /// <summary>The queue of each id (null: no known queue holds it); when two queues hold one id (an id reused by hand), the first by name.</summary>
    public async Task<string?[]> GetMany(IReadOnlyList<string> ids)
    {
        var result = new string?[ids.Count];
        if (ids.Count == 0) return result;
        var queues = await knownQueues(CancellationToken.None).ConfigureAwait(false);
        if (queues.Length == 0) return result;
        var d = db();
        var probes = new Task<bool>[queues.Length * ids.Count];
        for (var qi = 0; qi < queues.Length; qi++)
        {
            var q = queueKeys(queues[qi]);
            for (var i = 0; i < ids.Count; i++) probes[qi * ids.Count + i] = d.KeyExistsAsync(q.Task(ids[i]));
        }
        await Task.WhenAll(probes).ConfigureAwait(false);
        for (var i = 0; i < ids.Count; i++)
        {
            for (var qi = 0; qi < queues.Length && result[i] is null; qi++)
                if (probes[qi * ids.Count + i].Result) result[i] = queues[qi];
        }
        return result;
    }
}
