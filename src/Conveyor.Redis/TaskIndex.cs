using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// The global id -> queue index: how an operation given only a task id (TaskGet, TaskCancel, an ack
/// whose token names no queue) finds the slot that holds the task. On standalone Redis TaskEnqueueMany
/// writes it in the same script as the task; in a cluster it is written here, before the task (an
/// index entry without a task reads as "not found"). Deleted after the task. Reads may be retried.
/// </summary>
internal sealed class TaskIndex(RedisKeys keys, Func<IDatabase> db)
{
    public Task Set(IReadOnlyList<(string Id, string Queue)> entries)
    {
        var d = db();
        return Task.WhenAll(entries.GroupBy(e => keys.TaskIndexFor(e.Id))
            .Select(g => d.HashSetAsync(g.Key, [.. g.Select(e => new HashEntry(e.Id, e.Queue))])));
    }

    public async Task<string?> Get(string id)
    {
        var v = await db().HashGetAsync(keys.TaskIndexFor(id), id).ConfigureAwait(false);
        return v.IsNullOrEmpty ? null : (string?)v;
    }

    public async Task<string?[]> GetMany(IReadOnlyList<string> ids)
    {
        var result = new string?[ids.Count];
        var d = db();
        await Task.WhenAll(Enumerable.Range(0, ids.Count).GroupBy(i => keys.TaskIndexFor(ids[i])).Select(async g =>
        {
            var idx = g.ToArray();
            var values = await d.HashGetAsync(g.Key, [.. idx.Select(i => (RedisValue)ids[i])]).ConfigureAwait(false);
            for (var k = 0; k < idx.Length; k++) result[idx[k]] = values[k].IsNullOrEmpty ? null : (string?)values[k];
        })).ConfigureAwait(false);
        return result;
    }

    public Task Delete(IEnumerable<string> ids)
    {
        var d = db();
        return Task.WhenAll(ids.GroupBy(keys.TaskIndexFor).Select(g => d.HashDeleteAsync(g.Key, [.. g.Select(id => (RedisValue)id)])));
    }
}
