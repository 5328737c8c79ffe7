using Conveyor.Store;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

/// <summary>
/// StoreBackup through SQLite's online backup API (<see cref="SqliteConnection.BackupDatabase(SqliteConnection)"/>):
/// it copies one snapshot, page by page, on a reader connection of its own; in WAL mode the writer (of
/// this process and of any other on the file) keeps committing meanwhile. Every task acknowledged
/// before the backup started is in the copy, since an acknowledgement follows its commit. Written to
/// <c>TARGET.partial</c> and renamed once complete, so a file at the target is always a whole backup.
/// </summary>
public sealed partial class SqliteTaskStore
{
    public async ValueTask<StoreBackupResult> StoreBackup(StoreBackupParams request, CancellationToken ct = default)
    {
        var target = Path.GetFullPath(request.Target);
        var partial = target + ".partial";
        File.Delete(partial);
        await Task.Run(() =>
        {
            readers.Read(r =>
            {
                using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = partial, Pooling = false }.ToString());
                destination.Open();
                r.Connection.BackupDatabase(destination);
                // The copy stands alone: one file, no -wal beside it.
                Internal.Connections.Exec(destination, "PRAGMA journal_mode=DELETE;");
                return 0;
            });
        }, ct).ConfigureAwait(false);
        File.Move(partial, target, overwrite: false);
        long tasks;
        using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        {
            copy.Open();
            tasks = Convert.ToInt64(Internal.Connections.Scalar(copy, "SELECT count(*) FROM tasks;"), System.Globalization.CultureInfo.InvariantCulture);
        }
        return new StoreBackupResult(true, null, new FileInfo(target).Length, tasks);
    }
}
