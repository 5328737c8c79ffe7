using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>The worker registry's writes (heartbeat, command), run by the writer in its group commit.</summary>
internal static class WorkerOps
{
    /// <summary>One upsert per heartbeat; the cancel probe only when the worker runs something.</summary>
    public static WorkerHeartbeatResult WorkerHeartbeat(WriteContext ctx, WorkerInfo worker)
    {
        var now = ctx.Now();
        var upsert = ctx.Command("WorkerHeartbeat.Upsert");
        upsert.Set("$id", worker.Id);
        upsert.Set("$now", Ticks(now));
        upsert.Set("$info", ToJson(worker with { LastHeartbeat = now }));
        var command = ParseCommand(upsert.ExecuteScalar() as string);

        List<string> cancel = [];
        if (worker.Running.Count > 0)
        {
            var probe = ctx.Command("WorkerHeartbeat.Cancels");
            probe.Set("$ids", ToJson(worker.Running.Select(r => r.TaskId)));
            using var reader = probe.ExecuteReader();
            while (reader.Read()) cancel.Add(reader.GetString(0));
        }

        var prune = ctx.Command("WorkerHeartbeat.Prune");
        prune.Set("$before", Ticks(now - WorkerRegistry.KeepSilent));
        prune.ExecuteNonQuery();
        return new WorkerHeartbeatResult(command, cancel);
    }

    public static WorkerCommandOutcome WorkerCommand(WriteContext ctx, WorkerCommandParams request)
    {
        var cmd = ctx.Command("WorkerCommand");
        cmd.Set("$id", request.WorkerId);
        cmd.Set("$command", request.Command == WorkerCommandKind.Stop ? "stop" : "quiet");
        cmd.Set("$since", Ticks(ctx.Now() - WorkerRegistry.KeepSilent));
        return cmd.ExecuteScalar() is null ? WorkerCommandOutcome.NotFound : WorkerCommandOutcome.Ok;
    }

    internal static WorkerCommandKind ParseCommand(string? text) => text switch
    {
        "stop" => WorkerCommandKind.Stop,
        "quiet" => WorkerCommandKind.Quiet,
        _ => WorkerCommandKind.None,
    };
}
