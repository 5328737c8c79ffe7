using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// Opens the writer and the reader connections. A file runs in WAL mode, so readers never block the
/// writer nor it them. ":memory:" becomes a uniquely named shared-cache in-memory database, kept alive
/// by the writer connection; its readers use read_uncommitted, because shared-cache table locks would
/// otherwise make reader and writer refuse each other (SQLITE_LOCKED) instead of waiting. What they
/// would then see mid-transaction (half-moved index entries: a queue-count read once got a NULL queue
/// under a busy writer) is kept from them by <see cref="MemoryGate"/>: in memory, a read and a write
/// batch never overlap.
/// </summary>
internal sealed class Connections
{
    private readonly string connectionString;

    /// <summary>The connection string every connection of this store opens with (the other-process watch opens one more).</summary>
    public string ConnectionString => connectionString;
    private readonly bool memory;

    /// <summary>Held by each write batch and each read of an in-memory database; null for a file (WAL isolates them).</summary>
    public Lock? MemoryGate { get; }

    public Connections(SqliteStoreOptions options)
    {
        memory = options.IsInMemory;
        MemoryGate = memory ? new Lock() : null;
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = memory ? $"conveyor-{Guid.NewGuid():N}" : options.Path,
            Mode = memory ? SqliteOpenMode.Memory : SqliteOpenMode.ReadWriteCreate,
            Cache = memory ? SqliteCacheMode.Shared : SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = 30,
        };
        connectionString = builder.ToString();
    }

    public SqliteConnection OpenWriter(SqliteStoreOptions options)
    {
        var c = new SqliteConnection(connectionString);
        try
        {
            c.Open();
            var sync = options.Synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL";
            var busy = (long)options.BusyTimeout.TotalMilliseconds;
            // ops: busy_timeout first, so that a process opening a new file at the same moment as another waits for
            // its lock (switching to WAL takes it) instead of failing.
            Exec(c, memory ? $"PRAGMA synchronous={sync};" : $"PRAGMA busy_timeout={busy}; PRAGMA journal_mode=WAL; PRAGMA synchronous={sync};");
            // A corrupted file is refused here, before anything reads or writes it (IntegrityCheck).
            if (!memory && !IntegrityCheck.Run(c, options.Path, options.OpenCheckTimeout))
                Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(
                    (options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("Conveyor.Sqlite"),
                    "SQLite {Path}: the integrity check at open was cut short after {Seconds} s (OpenCheckTimeout); the pages it read were sound",
                    options.Path, options.OpenCheckTimeout.TotalSeconds);
        }
        catch (SqliteException e) when (!memory && IntegrityCheck.IsCorruption(e))
        {
            c.Dispose();
            throw IntegrityCheck.Corrupt(options.Path, e.Message);
        }
        catch
        {
            c.Dispose();
            throw;
        }
        // conveyor_time(ticks): a stored time as it appears in the attempts history (TaskRows.JsonTime).
        // The history entry of an attempt is written when the attempt ends, from its started_at column.
        c.CreateFunction<long?, string?>("conveyor_time", static ticks => ticks is { } t ? TaskRows.JsonTime(TaskRows.Time(t)) : null, isDeterministic: true);
        if (!memory) SpaceReuse(c, options);
        Migrate(c);
        return c;
    }

    /// <summary>
    /// Keeps the file from growing without bound (issue 11 item 7). auto_vacuum=INCREMENTAL lets
    /// MaintenanceRun hand pages that retention freed back to the file system in bounded steps
    /// (<c>PRAGMA incremental_vacuum(N)</c>). A new file gets it before its first table; an existing file
    /// without it is converted here by one VACUUM when it is at most
    /// <see cref="SqliteStoreOptions.VacuumOnOpenMaxBytes"/> (a VACUUM rewrites the whole file and holds the
    /// writer meanwhile); a larger one keeps working as before (freed pages are still reused, the file
    /// just never shrinks) until converted offline (docs/operations.md, Retention). The WAL is checkpointed every
    /// 1000 pages (SQLite's default, set explicitly) and truncated back to 64 MiB whenever a checkpoint
    /// resets it, so a burst leaves no large -wal file behind.
    /// </summary>
    private static void SpaceReuse(SqliteConnection c, SqliteStoreOptions options)
    {
        Exec(c, "PRAGMA wal_autocheckpoint=1000; PRAGMA journal_size_limit=67108864;");
        if (Convert.ToInt64(Scalar(c, "PRAGMA auto_vacuum;"), System.Globalization.CultureInfo.InvariantCulture) == 2) return;
        var fresh = Convert.ToInt64(Scalar(c, "SELECT count(*) FROM sqlite_schema;"), System.Globalization.CultureInfo.InvariantCulture) == 0;
        Exec(c, "PRAGMA auto_vacuum=INCREMENTAL;");
        if (fresh) return;
        var bytes = Convert.ToInt64(Scalar(c, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size();"), System.Globalization.CultureInfo.InvariantCulture);
        if (bytes <= options.VacuumOnOpenMaxBytes) Exec(c, "VACUUM;");
    }

    public SqliteConnection OpenReader()
    {
        var c = new SqliteConnection(connectionString);
        c.Open();
        Exec(c, memory ? "PRAGMA read_uncommitted=1; PRAGMA query_only=1;" : "PRAGMA query_only=1; PRAGMA busy_timeout=5000;");
        return c;
    }

    /// <summary>Applies the embedded migrations newer than PRAGMA user_version, each in its own transaction.</summary>
    private static void Migrate(SqliteConnection c)
    {
        var current = Convert.ToInt32(Scalar(c, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
        var migrations = SqlText.Migrations();
        var latest = migrations.Count == 0 ? 0 : migrations[^1].Version;
        if (current > latest)
            throw new InvalidOperationException($"the database has schema version {current}; this Conveyor knows up to {latest}: upgrade Conveyor");
        foreach (var (version, sql) in migrations)
        {
            if (version <= current) continue;
            Exec(c, "BEGIN IMMEDIATE;");
            try
            {
                // ops: several processes may open a new file at once. BEGIN IMMEDIATE takes the write lock; the
                // version read under it is the truth: a migration another process applied meanwhile is skipped.
                if (Convert.ToInt32(Scalar(c, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture) >= version)
                {
                    Exec(c, "COMMIT;");
                    continue;
                }
                Exec(c, sql);
                Exec(c, $"PRAGMA user_version = {version};");
                Exec(c, "COMMIT;");
            }
            catch
            {
                Exec(c, "ROLLBACK;");
                throw;
            }
        }
    }

    internal static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}

/// <summary>A reader connection with its own prepared commands.</summary>
internal sealed class ReaderConnection(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    public SqliteCommand Command(string name) => Command(name, SqlText.Get);

    /// <summary>A command built once per name by <paramref name="sql"/> (TaskList's statements per filter shape).</summary>
    public SqliteCommand Command(string name, Func<string, string> sql)
    {
        if (!commands.TryGetValue(name, out var cmd))
        {
            cmd = Connection.CreateCommand();
            cmd.CommandText = sql(name);
            commands[name] = cmd;
        }
        return cmd;
    }

    public void Dispose()
    {
        foreach (var c in commands.Values) c.Dispose();
        Connection.Dispose();
    }
}

/// <summary>Reader connections, separate from the writer's, reused across calls.</summary>
internal sealed class ReaderPool(Connections connections) : IDisposable
{
    private const int MaxIdle = 8;
    private readonly ConcurrentBag<ReaderConnection> idle = [];
    private volatile bool disposed;

    public T Read<T>(Func<ReaderConnection, T> body)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!idle.TryTake(out var reader)) reader = new ReaderConnection(connections.OpenReader());
        try
        {
            if (connections.MemoryGate is not { } gate) return body(reader);
            lock (gate) return body(reader);
        }
        finally
        {
            if (disposed || idle.Count >= MaxIdle) reader.Dispose();
            else idle.Add(reader);
        }
    }

    public void Dispose()
    {
        disposed = true;
        while (idle.TryTake(out var r)) r.Dispose();
    }
}
