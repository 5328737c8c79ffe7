using System.Text.Json;
using Conveyor.Json;
using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

// Flow control: QueueLimitSet / QueueLimitDelete / QueueLimitList (Lua/QueueLimit*.lua); enforcement
// is in TaskLease.lua (limits_pick in Lib.lua, atomic with the lease), and unique while active in
// TaskEnqueueMany.lua. Every limit key shares the queue's hash tag (Lib.lua lists them).
public sealed partial class RedisTaskStore
{
    public async ValueTask QueueLimitSet(string queue, QueueLimit limit, CancellationToken ct = default)
    {
        limit.Validated();
        var q = Q(queue);
        var json = JsonSerializer.Serialize(limit, ConveyorJson.Options);
        var answer = (int)await _scripts.Run(ScriptCatalog.QueueLimitSet, [q.Meta],
            [q.TaskPrefix, limit.Name, json, limit.Key ?? "", q.WakeSpec, QueueLimit.MaxLimitsPerQueue]).ConfigureAwait(false);
        if (answer < 0) throw new Engine.ConveyorValidationException("name", $"a queue has at most {QueueLimit.MaxLimitsPerQueue} limits; remove one first");
    }

    public async ValueTask<bool> QueueLimitDelete(string queue, string name, CancellationToken ct = default)
    {
        var q = Q(queue);
        return (int)await _scripts.Run(ScriptCatalog.QueueLimitDelete, [q.Meta], [q.TaskPrefix, name, q.WakeSpec]).ConfigureAwait(false) == 1;
    }

    public async ValueTask<IReadOnlyList<QueueLimitInfo>> QueueLimitList(string queue, CancellationToken ct = default)
    {
        var q = Q(queue);
        var answer = (RedisResult[])(await _scripts.Run(ScriptCatalog.QueueLimitList, [q.Meta], [q.TaskPrefix, NowMs(), QueueLimitUsage.MaxKeys]).ConfigureAwait(false))!;
        var infos = new List<QueueLimitInfo>(answer.Length / 2);
        for (var i = 0; i + 1 < answer.Length; i += 2)
        {
            var limit = JsonSerializer.Deserialize<QueueLimit>((string)answer[i]!, ConveyorJson.Options)!;
            var flat = (RedisValue[])answer[i + 1]!;
            var usage = new List<QueueLimitUsage>(flat.Length / 4);
            for (var k = 0; k + 3 < flat.Length; k += 4)
                usage.Add(new QueueLimitUsage((string)flat[k]!, (long)flat[k + 1], (long)flat[k + 2], (long)flat[k + 3]));
            infos.Add(new QueueLimitInfo(limit, usage));
        }
        infos.Sort((a, b) => string.CompareOrdinal(a.Limit.Name, b.Limit.Name));
        return infos;
    }

    /// <summary>TaskEnqueueMany.lua's trailing block: "u" and one unique key per task, only when some task has one.</summary>
    private static void AppendUniqueKeys(List<RedisValue> args, IReadOnlyList<TaskRecord> tasks, List<int> group)
    {
        if (!group.Exists(i => tasks[i].UniqueKey is not null)) return;
        args.Add("u");
        foreach (var i in group) args.Add(tasks[i].UniqueKey ?? "");
    }
}
