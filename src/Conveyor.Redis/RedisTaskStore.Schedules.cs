using System.Globalization;
using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Schedules;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

// Recurring tasks (Lua/Schedule*.lua). A schedule lives in the slot of the queue it submits to
// ({q:x}:sch:<name> and {q:x}:sch:due), so that ScheduleClaim's compare-and-set and the enqueue of the
// tick's task are one script on one slot (Redis Cluster too). {g}:schedules maps each name to its queue.
public sealed partial class RedisTaskStore
{
    public async ValueTask<bool> ScheduleUpsert(ScheduleUpsertParams request, CancellationToken ct = default)
    {
        var d = request.Definition;
        var queue = d.Task.Queue ?? TaskDefaults.Queue;
        var before = await Db.HashGetAsync(_keys.Schedules, d.Name).ConfigureAwait(false);
        // A schedule moved to another queue moves slot: the old one goes first, so that the two never
        // tick side by side (a crash in between loses the schedule, never doubles a tick).
        if (!before.IsNull && (string)before! != queue) await DeleteIn(Q((string)before!), d.Name).ConfigureAwait(false);
        var q = Q(queue);
        var created = (int)await _scripts.Run(ScriptCatalog.ScheduleUpsert, [q.Schedule(d.Name), q.SchedulesDue],
        [
            d.Name, JsonSerializer.Serialize(d, ConveyorJson.Options), request.Paused ? "1" : "0", Ms(request.NextRunAt), NowMs(),
        ]).ConfigureAwait(false);
        await Db.HashSetAsync(_keys.Schedules, d.Name, queue).ConfigureAwait(false);
        return created == 1 && before.IsNull;
    }

    public async ValueTask<Schedule?> ScheduleGet(string name, CancellationToken ct = default) =>
        await Idempotent(async () =>
        {
            var queue = await Db.HashGetAsync(_keys.Schedules, name).ConfigureAwait(false);
            if (queue.IsNull) return null;
            return Read(await Db.HashGetAllAsync(Q((string)queue!).Schedule(name)).ConfigureAwait(false));
        }, ct).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<Schedule>> ScheduleList(CancellationToken ct = default) =>
        await Idempotent(async () =>
        {
            var names = await Db.HashGetAllAsync(_keys.Schedules).ConfigureAwait(false);
            var found = await Task.WhenAll(names.Select(e => Db.HashGetAllAsync(Q((string)e.Value!).Schedule((string)e.Name!)))).ConfigureAwait(false);
            return (IReadOnlyList<Schedule>)[.. found.Select(Read).OfType<Schedule>().OrderBy(s => s.Name, StringComparer.Ordinal)];
        }, ct).ConfigureAwait(false);

    public async ValueTask<bool> ScheduleDelete(string name, CancellationToken ct = default)
    {
        var queue = await Db.HashGetAsync(_keys.Schedules, name).ConfigureAwait(false);
        if (queue.IsNull) return false;
        var removed = await DeleteIn(Q((string)queue!), name).ConfigureAwait(false);
        await Db.HashDeleteAsync(_keys.Schedules, name).ConfigureAwait(false);
        return removed;
    }

    private async Task<bool> DeleteIn(QueueKeys q, string name) =>
        (int)await _scripts.Run(ScriptCatalog.ScheduleDelete, [q.Schedule(name), q.SchedulesDue], [name]).ConfigureAwait(false) == 1;

    public async ValueTask<bool> SchedulePause(SchedulePauseParams request, CancellationToken ct = default)
    {
        var queue = await Db.HashGetAsync(_keys.Schedules, request.Name).ConfigureAwait(false);
        if (queue.IsNull) return false;
        var q = Q((string)queue!);
        return (int)await _scripts.Run(ScriptCatalog.SchedulePause, [q.Schedule(request.Name), q.SchedulesDue],
            [request.Name, request.Paused ? "1" : "0", Ms(request.NextRunAt), NowMs()]).ConfigureAwait(false) == 1;
    }

    /// <summary>One ScheduleDue script per queue that holds schedules; the earliest <paramref name="max"/> of all.</summary>
    public async ValueTask<IReadOnlyList<Schedule>> ScheduleDue(int max, CancellationToken ct = default) =>
        await Idempotent(async () =>
        {
            var queues = (await Db.HashValuesAsync(_keys.Schedules).ConfigureAwait(false)).Select(v => (string)v!).Distinct(StringComparer.Ordinal);
            var now = NowMs();
            var answers = await Task.WhenAll(queues.Select(async queue =>
            {
                var q = Q(queue);
                return (RedisResult[])(await _scripts.Run(ScriptCatalog.ScheduleDue, [q.SchedulesDue], [q.SchedulePrefix, now, max]).ConfigureAwait(false))!;
            })).ConfigureAwait(false);
            var due = new List<Schedule>();
            foreach (var a in answers)
                for (var i = 0; i + 1 < a.Length; i += 2)
                    if (Read(ToEntries((RedisResult[])a[i + 1]!)) is { } s) due.Add(s);
            return (IReadOnlyList<Schedule>)[.. due.OrderBy(s => s.NextRunAt).Take(max)];
        }, ct).ConfigureAwait(false);

    /// <summary>
    /// ScheduleClaim.lua (its compare-and-set, then TaskEnqueueMany's body). The queue is remembered
    /// first, as an enqueue does, so a bare-id read of the tick's tasks finds it (TaskIndex).
    /// </summary>
    public async ValueTask<ScheduleClaimResult> ScheduleClaim(ScheduleClaimParams request, CancellationToken ct = default)
    {
        var queue = await Db.HashGetAsync(_keys.Schedules, request.Name).ConfigureAwait(false);
        if (queue.IsNull) return new ScheduleClaimResult(false, []);
        var q = Q((string)queue!);
        var tasks = request.Tasks;
        // The schedule moved to another queue since it was read: this claim is stale (the next run reads it anew).
        if (tasks.Any(t => t.Queue != q.Name)) return new ScheduleClaimResult(false, []);
        if (tasks.Count > 0) await RememberQueues([q.Name]).ConfigureAwait(false); // memory: no id -> queue index (layout 3)
        var args = new List<RedisValue>(13 + tasks.Count * 9)
        {
            q.TaskPrefix, NowMs(), TaskHash.Ms(_idempotencyWindow), q.WakeSpec, q.EventsChannel, q.Name, tasks.Count,
        };
        foreach (var t in tasks) TaskHash.AppendEnqueueArgs(args, t);
        args.AddRange(
        [
            request.RunNow ? "now" : "claim", request.Name, Ms(request.Expected), Ms(request.NextRunAt), Ms(request.LastRunAt),
            tasks.Count > 0 ? tasks[^1].Id : "",
        ]);
        var answer = (RedisResult[])(await _scripts.Run(ScriptCatalog.ScheduleClaim,
            [q.Ready, q.Scheduled, q.StateIndex, q.Meta, q.Idem, q.IdemExpiry, q.Schedule(request.Name), q.SchedulesDue], [.. args]).ConfigureAwait(false))!;
        if (answer.Length == 1 && answer[0].Resp2Type == ResultType.Integer) return new ScheduleClaimResult(false, []);
        var results = new EnqueueResult[tasks.Count];
        for (var i = 0; i < tasks.Count; i++)
        {
            var item = (RedisResult[])answer[i]!;
            var code = (int)item[0];
            results[i] = code switch
            {
                1 => new EnqueueResult(tasks[i], true),
                2 => new EnqueueResult(TaskHash.Read(item[1], q.Name), true),
                _ => new EnqueueResult(TaskHash.Read(item[1], q.Name), false),
            };
        }
        return new ScheduleClaimResult(true, results);
    }

    private static RedisValue Ms(DateTimeOffset? t) => t is { } v ? v.ToUnixTimeMilliseconds() : "";

    private static HashEntry[] ToEntries(RedisResult[] flat)
    {
        var entries = new HashEntry[flat.Length / 2];
        for (var i = 0; i < entries.Length; i++) entries[i] = new HashEntry((RedisValue)flat[2 * i], (RedisValue)flat[2 * i + 1]);
        return entries;
    }

    private static Schedule? Read(HashEntry[] hash)
    {
        if (hash.Length == 0) return null;
        var h = hash.ToDictionary(e => (string)e.Name!, e => (string?)e.Value, StringComparer.Ordinal);
        if (!h.TryGetValue("d", out var def) || def is null) return null;
        return new Schedule
        {
            Definition = JsonSerializer.Deserialize<ScheduleDefinition>(def, ConveyorJson.Options)!,
            Paused = h.GetValueOrDefault("p") == "1",
            NextRunAt = Time(h.GetValueOrDefault("n")),
            LastRunAt = Time(h.GetValueOrDefault("l")),
            LastTaskId = h.GetValueOrDefault("lt") is { Length: > 0 } lt ? lt : null,
            CreatedAt = Time(h.GetValueOrDefault("c")) ?? DateTimeOffset.UnixEpoch,
            UpdatedAt = Time(h.GetValueOrDefault("u")) ?? DateTimeOffset.UnixEpoch,
        };
    }

    private static DateTimeOffset? Time(string? ms) =>
        long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
