using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// At open, a file store runs <c>PRAGMA quick_check(1)</c> (every page's b-tree structure, no index
/// cross-check) before anything is read or written: a corrupted file is refused with one line naming
/// it, never served (serving it could drop or resurrect tasks). The check is bounded by
/// <see cref="SqliteStoreOptions.OpenCheckTimeout"/> (a progress handler interrupts it); a database too
/// large to check in that time opens with one warning that the check was cut short.
/// </summary>
internal static class IntegrityCheck
{
    /// <summary>Throws <see cref="Conveyor.Store.StoreConfigurationException"/> when the file at <paramref name="path"/> is corrupt.</summary>
    /// <returns>false when the check was cut short by its time bound (nothing wrong was found in what it read).</returns>
    public static bool Run(SqliteConnection c, string path, TimeSpan bound)
    {
        if (bound <= TimeSpan.Zero) return true;
        var deadline = Environment.TickCount64 + (long)bound.TotalMilliseconds;
        var cut = false;
        SQLitePCL.raw.sqlite3_progress_handler(c.Handle, 10_000, _ =>
        {
            if (Environment.TickCount64 < deadline) return 0;
            cut = true;
            return 1; // interrupts the statement (SQLITE_INTERRUPT)
        }, null);
        try
        {
            var result = Convert.ToString(Connections.Scalar(c, "PRAGMA quick_check(1);"), System.Globalization.CultureInfo.InvariantCulture);
            if (!string.Equals(result, "ok", StringComparison.Ordinal))
                throw Corrupt(path, result ?? "no answer");
            return true;
        }
        catch (SqliteException e) when (cut && e.SqliteErrorCode == SQLitePCL.raw.SQLITE_INTERRUPT)
        {
            return false;
        }
        catch (SqliteException e) when (IsCorruption(e))
        {
            throw Corrupt(path, e.Message);
        }
        finally
        {
            SQLitePCL.raw.sqlite3_progress_handler(c.Handle, 0, null, null);
        }
    }

    /// <summary>SQLITE_CORRUPT or SQLITE_NOTADB: the file is not a sound database.</summary>
    public static bool IsCorruption(SqliteException e) => e.SqliteErrorCode is SQLitePCL.raw.SQLITE_CORRUPT or SQLitePCL.raw.SQLITE_NOTADB;

    public static Conveyor.Store.StoreConfigurationException Corrupt(string path, string finding) =>
        new($"the SQLite file {System.IO.Path.GetFullPath(path)} is corrupt (quick_check: {OneLine(finding)}); refusing to serve it: restore it from a backup, or move it away to start empty");

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
