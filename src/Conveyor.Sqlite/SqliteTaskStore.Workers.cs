using Conveyor.Json;
using Conveyor.Sqlite.Ops;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite;

// The worker registry: heartbeats through the group-commit writer, the list from a reader.
public sealed partial class SqliteTaskStore
{
    public async ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => WorkerOps.WorkerHeartbeat(ctx, worker)).ConfigureAwait(false);

    public async ValueTask<WorkerCommandOutcome> WorkerCommand(WorkerCommandParams request, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => WorkerOps.WorkerCommand(ctx, request)).ConfigureAwait(false);

    public ValueTask<WorkerListResult> WorkerList(TimeSpan liveWithin, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var liveSince = now - liveWithin;
        var since = Ticks(now - WorkerRegistry.KeepSilent);
        var result = readers.Read(r =>
        {
            var cmd = r.Command("WorkerList");
            cmd.Set("$since", since);
            List<WorkerInfo> live = [], silent = [];
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                var w = System.Text.Json.JsonSerializer.Deserialize<WorkerInfo>(reader.GetString(0), ConveyorJson.Options);
                if (w is null) continue;
                w = w with { LastHeartbeat = Time(reader.GetInt64(1)) };
                (w.LastHeartbeat >= liveSince ? live : silent).Add(w);
            }
            return new WorkerListResult(live, silent);
        });
        return ValueTask.FromResult(result);
    }
}
