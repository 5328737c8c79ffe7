using System.Text.Json;
using Conveyor.Json;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

// The worker registry under {g}; a heartbeat's cancel probe runs in each running task's queue slot.
public sealed partial class RedisTaskStore
{
    private RedisKey[] WorkerKeys => [_keys.Workers, _keys.WorkerHeartbeats, _keys.WorkerCommands];

    /// <summary>
    /// One write (the {g} script) per heartbeat; when the worker runs tasks, one read-only script per
    /// queue they belong to finds those cancelled while running, sent alongside the write.
    /// </summary>
    public async ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        var json = JsonSerializer.Serialize(worker with { LastHeartbeat = now }, ConveyorJson.Options);
        RedisValue[] args = [worker.Id, json, now.ToUnixTimeMilliseconds(), (now - WorkerRegistry.KeepSilent).ToUnixTimeMilliseconds()];
        var beat = _scripts.Run(ScriptCatalog.WorkerHeartbeat, WorkerKeys, args);
        var probes = worker.Running.GroupBy(r => r.Queue, StringComparer.Ordinal).Select(g => Idempotent(async () =>
        {
            var q = Q(g.Key);
            var ids = g.Select(r => r.TaskId).Distinct(StringComparer.Ordinal).ToArray();
            var found = (RedisValue[])(await _scripts.Run(ScriptCatalog.WorkerHeartbeatCancels,
                [.. ids.Select(id => q.Task(id))], [.. ids.Select(id => (RedisValue)id)]).ConfigureAwait(false))!;
            return found.Select(v => (string)v!).ToArray();
        }, ct)).ToList();
        var command = (string?)await beat.ConfigureAwait(false);
        var cancel = (await Task.WhenAll(probes).ConfigureAwait(false)).SelectMany(x => x).ToList();
        return new WorkerHeartbeatResult(ParseCommand(command), cancel);
    }

    public async ValueTask<WorkerCommandOutcome> WorkerCommand(WorkerCommandParams request, CancellationToken ct = default)
    {
        var forgotten = (_time.GetUtcNow() - WorkerRegistry.KeepSilent).ToUnixTimeMilliseconds();
        RedisValue[] args = [request.WorkerId, request.Command == WorkerCommandKind.Stop ? "stop" : "quiet", forgotten];
        var known = (int)await _scripts.Run(ScriptCatalog.WorkerCommand, [_keys.WorkerHeartbeats, _keys.WorkerCommands], args).ConfigureAwait(false);
        return known == 1 ? WorkerCommandOutcome.Ok : WorkerCommandOutcome.NotFound;
    }

    public async ValueTask<WorkerListResult> WorkerList(TimeSpan liveWithin, CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        var liveSince = now - liveWithin;
        var since = (now - WorkerRegistry.KeepSilent).ToUnixTimeMilliseconds();
        var a = (RedisValue[])(await Idempotent(() => _scripts.Run(ScriptCatalog.WorkerList, [_keys.Workers, _keys.WorkerHeartbeats], [since, 10_000]), ct).ConfigureAwait(false))!;
        List<WorkerInfo> live = [], silent = [];
        for (var i = 0; i + 1 < a.Length; i += 2)
        {
            var w = JsonSerializer.Deserialize<WorkerInfo>((string)a[i]!, ConveyorJson.Options);
            if (w is null) continue;
            w = w with { LastHeartbeat = DateTimeOffset.FromUnixTimeMilliseconds((long)a[i + 1]) };
            (w.LastHeartbeat >= liveSince ? live : silent).Add(w);
        }
        live.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        silent.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return new WorkerListResult(live, silent);
    }

    public async ValueTask WorkerRemove(string workerId, CancellationToken ct = default) =>
        await _scripts.Run(ScriptCatalog.WorkerRemove, WorkerKeys, [workerId]).ConfigureAwait(false);

    private static WorkerCommandKind ParseCommand(string? text) => text switch
    {
        "stop" => WorkerCommandKind.Stop,
        "quiet" => WorkerCommandKind.Quiet,
        _ => WorkerCommandKind.None,
    };
}
