using Conveyor.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// A full disk under the database file (SQLITE_FULL): the writer's error becomes
/// <see cref="StoreFullException"/> (the server's 507), logged once per episode rather than once per
/// request. The transaction that met it rolled back whole, so nothing of the refused writes is kept and
/// nothing committed before is touched. The episode ends at the first commit that writes rows again
/// (a submission, or <see cref="SqliteTaskStore.StoreReadinessCheck"/>'s probe).
/// </summary>
internal sealed class DiskFull(SqliteStoreOptions options)
{
    private const int SqliteFull = 13;

    private readonly StorageEpisode episode = new(
        options.LoggerFactory?.CreateLogger("Conveyor.Sqlite") ?? NullLogger.Instance, $"SQLite ({options.Path})");

    public bool IsOpen => episode.IsOpen;

    public string Detail => $"the disk under {options.Path} is full; free space there and Conveyor takes writes again by itself";

    public Exception Translate(Exception ex)
    {
        if (ex is not SqliteException { SqliteErrorCode: SqliteFull }) return ex;
        episode.Enter(Detail);
        return new StoreFullException($"SQLite refuses writes: {Detail}. Nothing of this request was stored.", ex);
    }

    public void Leave() => episode.Leave();
}
