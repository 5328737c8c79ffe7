using Conveyor.Retention;

namespace Conveyor.Store;

public partial interface ITaskRecords
{
    /// <summary>
    /// The retention policy set through <see cref="RetentionSet"/> (the API, the CLI), kept in the store so
    /// that every broker and direct worker on it applies the same rules; null when none was set.
    /// </summary>
    ValueTask<RetentionPolicy?> RetentionGet(CancellationToken ct = default);

    /// <summary>Replaces the stored retention policy; null removes it (each process then applies its configured one).</summary>
    ValueTask RetentionSet(RetentionPolicy? policy, CancellationToken ct = default);

    /// <summary>
    /// Background upkeep as <see cref="MaintenanceRun(TimeSpan, CancellationToken)"/>, with retention by
    /// <see cref="MaintenanceRunParams.Retention"/>: per queue and terminal state, tasks finished longer ago
    /// than the state's age are deleted, then the oldest beyond its count. At most
    /// <see cref="MaintenanceRunParams.RetentionLimit"/> tasks are deleted per run (the next run takes the
    /// rest), in finish order. Deleting a task removes every index entry of it; the kept queue counts
    /// follow; the per-minute history is not touched.
    /// </summary>
    ValueTask<MaintenanceResult> MaintenanceRun(MaintenanceRunParams request, CancellationToken ct = default);
}
