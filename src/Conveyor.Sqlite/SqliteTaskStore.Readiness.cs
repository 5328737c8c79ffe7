using Conveyor.Store;

namespace Conveyor.Sqlite;

public sealed partial class SqliteTaskStore
{
    /// <summary>
    /// Unreachable when the file cannot be read; disk full while the writer meets SQLITE_FULL. While
    /// full, each check looks at the disk's free space and, once there is room again, runs a one-row
    /// write probe (<c>Sql/StoreReadinessCheck.sql</c>), so the store sees by itself when space frees,
    /// and <c>/readyz</c> turns 200 again.
    /// </summary>
    public async ValueTask<StoreReadiness> StoreReadinessCheck(CancellationToken ct = default)
    {
        if (!await Ping(ct).ConfigureAwait(false)) return StoreReadiness.Unreachable($"the SQLite file {Options.Path} cannot be read");
        if (writer.Failed is { } failed) return StoreReadiness.Unreachable(failed);
        if (!diskFull.IsOpen) return StoreReadiness.Ready;
        if (!diskFull.HasRoom()) return new StoreReadiness(StoreCondition.DiskFull, diskFull.Detail);
        try
        {
            await writer.Enqueue(ctx => { ctx.Exec("StoreReadinessCheck"); return 0; }).ConfigureAwait(false);
        }
        catch (StoreFullException)
        {
            // Still full.
        }
        return diskFull.IsOpen ? new StoreReadiness(StoreCondition.DiskFull, diskFull.Detail) : StoreReadiness.Ready;
    }
}
