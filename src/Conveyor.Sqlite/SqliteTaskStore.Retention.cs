using Conveyor.Retention;
using Conveyor.Sqlite.Internal;
using Conveyor.Sqlite.Ops;
using Conveyor.Store;

namespace Conveyor.Sqlite;

// RetentionGet / RetentionSet (Sql/RetentionGet.sql, Sql/RetentionSet.sql) and MaintenanceRun with a
// retention policy (Ops/RetentionOps.cs).
public sealed partial class SqliteTaskStore
{
    public ValueTask<RetentionPolicy?> RetentionGet(CancellationToken ct = default) =>
        ValueTask.FromResult(readers.Read(r => r.Command("RetentionGet").ExecuteScalar() is string json ? RetentionPolicy.FromJson(json) : null));

    public async ValueTask RetentionSet(RetentionPolicy? policy, CancellationToken ct = default)
    {
        var json = policy?.Validated().ToJson();
        await writer.Enqueue(ctx =>
        {
            var cmd = ctx.Command(json is null ? "RetentionSet.Clear" : "RetentionSet.Put");
            if (json is not null) cmd.Set("$policy", json);
            return cmd.ExecuteNonQuery();
        }).ConfigureAwait(false);
    }

    public async ValueTask<MaintenanceResult> MaintenanceRun(MaintenanceRunParams request, CancellationToken ct = default)
    {
        if (request.RetentionLimit is < 1 or > 100_000) throw new ArgumentOutOfRangeException(nameof(request), "RetentionLimit must be 1..100000");
        return await writer.Enqueue(ctx => MaintenanceOps.MaintenanceRun(ctx, request)).ConfigureAwait(false);
    }
}
