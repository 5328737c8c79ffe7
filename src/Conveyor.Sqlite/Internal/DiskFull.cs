using Conveyor.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// A full disk under the database file (SQLITE_FULL): the writer's error becomes
/// <see cref="StoreFullException"/> (the server's 507), logged once per episode rather than once per
/// request. The transaction that met it rolled back whole, so nothing of the refused writes is kept and
/// nothing committed before is touched. The episode ends at the first commit that writes rows again
/// (a submission, or <see cref="SqliteTaskStore.StoreReadinessCheck"/>'s probe) once the disk has
/// <see cref="RoomToResume"/> free: a small commit can still fit in the slack of the WAL file while a
/// larger one cannot, and without that margin one full disk would flap between episodes.
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

    /// <summary>The free space on the file's disk that ends an episode.</summary>
    public const long RoomToResume = 1024 * 1024;

    /// <summary>Ends the episode when the disk has room again (a statvfs, only called while an episode is open).</summary>
    public void LeaveIfRoom()
    {
        if (HasRoom()) episode.Leave();
    }

    public bool HasRoom()
    {
        try
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path))!;
            return new DriveInfo(dir).AvailableFreeSpace >= RoomToResume;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return true; // cannot tell: let the writes themselves decide
        }
    }
}
