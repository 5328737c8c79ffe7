using Conveyor.Model;

namespace Conveyor.Sqlite;

/// <summary>How SQLite makes a commit durable: <see cref="Full"/> fsyncs the WAL on every commit.</summary>
public enum SqliteSynchronous
{
    /// <summary>fsync on every commit: an acknowledged write survives a power cut. The default.</summary>
    Full,
    /// <summary>fsync at checkpoints only: survives a process crash, may lose the last commits on power loss.</summary>
    Normal,
}

/// <summary>Options of <see cref="SqliteTaskStore"/>. Validated when the store opens.</summary>
public sealed record SqliteStoreOptions
{
    public const string InMemory = ":memory:";

    /// <summary>The database file, or <c>":memory:"</c> for a private in-memory store (tests, demos).</summary>
    public string Path { get; init; } = "conveyor.db";

    public SqliteSynchronous Synchronous { get; init; } = SqliteSynchronous.Full;

    /// <summary>How long an idempotency key keeps returning the first task (DESIGN §2: 24 h).</summary>
    public TimeSpan IdempotencyWindow { get; init; } = TaskDefaults.IdempotencyWindow;

    /// <summary>At most this many queued write operations are committed in one transaction.</summary>
    public int MaxBatchOperations { get; init; } = 512;

    /// <summary>How long the writer waits for another process holding the file's write lock.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the store logs (one warning per episode of a full disk). Default: nowhere.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// How long the integrity check at open (<c>PRAGMA quick_check</c>) may read before it is cut short
    /// with one warning. Default 10 s (a few GB on an ordinary disk); zero skips the check.
    /// </summary>
    public TimeSpan OpenCheckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An existing file without auto_vacuum=INCREMENTAL (made before Conveyor set it) is converted by one
    /// VACUUM when it opens if it is at most this large (default 64 MiB); a larger one with
    /// <c>sqlite3 FILE "PRAGMA auto_vacuum=INCREMENTAL; VACUUM;"</c>, while nothing runs on it (docs/operations.md).
    /// </summary>
    public long VacuumOnOpenMaxBytes { get; init; } = 64L * 1024 * 1024;

    public bool IsInMemory => Path == InMemory;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) throw new ArgumentException("SqliteStoreOptions.Path is required", nameof(Path));
        if (IdempotencyWindow <= TimeSpan.Zero) throw new ArgumentException("IdempotencyWindow must be positive", nameof(IdempotencyWindow));
        if (MaxBatchOperations < 1) throw new ArgumentException("MaxBatchOperations must be at least 1", nameof(MaxBatchOperations));
        if (BusyTimeout < TimeSpan.Zero) throw new ArgumentException("BusyTimeout must not be negative", nameof(BusyTimeout));
        if (OpenCheckTimeout < TimeSpan.Zero) throw new ArgumentException("OpenCheckTimeout must not be negative", nameof(OpenCheckTimeout));
    }
}
