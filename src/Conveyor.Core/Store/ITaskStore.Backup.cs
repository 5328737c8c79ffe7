namespace Conveyor.Store;

public partial interface ITaskStore
{
    /// <summary>
    /// StoreBackup: a consistent copy of the whole store, taken while it keeps working, into a new file
    /// at <see cref="StoreBackupParams.Target"/>. A store that keeps its data elsewhere (Redis: RDB and
    /// AOF are its backups) answers <see cref="StoreBackupResult.Supported"/> false with what to do instead.
    /// </summary>
    ValueTask<StoreBackupResult> StoreBackup(StoreBackupParams request, CancellationToken ct = default) =>
        ValueTask.FromResult(StoreBackupResult.NotSupported($"the {Name} store has no backup of its own here; use the backups of the system that holds its data"));
}

/// <param name="Target">The file to write; it must not exist yet (a backup never overwrites).</param>
public sealed record StoreBackupParams(string Target);

/// <param name="Supported">False: nothing was written; <paramref name="Detail"/> says what to use instead.</param>
/// <param name="Bytes">The size of the copy.</param>
/// <param name="Tasks">How many tasks the copy holds.</param>
public sealed record StoreBackupResult(bool Supported, string? Detail, long Bytes, long Tasks)
{
    public static StoreBackupResult NotSupported(string detail) => new(false, detail, 0, 0);
}
