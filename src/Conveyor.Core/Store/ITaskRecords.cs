using Conveyor.Model;

namespace Conveyor.Store;

/// <summary>
/// Task records, the part of the storage seam that keeps and answers about tasks: get, list, search,
/// wait, cancel, dead letters, counts, history, events, retention, the dashboard's bulk actions and
/// the upkeep that reclaims expired leases (a lease is a record).
/// </summary>
public partial interface ITaskRecords : IStorePart
{
    ValueTask<TaskRecord?> TaskGet(string id, CancellationToken ct = default);

    ValueTask<TaskPage> TaskList(TaskListParams query, CancellationToken ct = default);

    /// <summary>
    /// Wait until the task is terminal or the timeout passes; answers at once when it already is.
    /// Woken by the transition itself, never by sleep polling. Null when the task does not exist.
    /// </summary>
    ValueTask<TaskRecord?> TaskWait(string id, TimeSpan timeout, CancellationToken ct = default);

    ValueTask<CancelResult> TaskCancel(string id, CancellationToken ct = default);

    /// <summary>Failed → pending with attempt reset to 0 (history kept). Returns how many moved.</summary>
    ValueTask<int> DeadLetterRedrive(DeadLetterRedriveParams request, CancellationToken ct = default);

    /// <summary>Delete dead tasks. Returns how many were removed.</summary>
    ValueTask<int> DeadLetterPurge(DeadLetterPurgeParams request, CancellationToken ct = default);

    /// <summary>Every queue that has tasks or is paused, with counts by state.</summary>
    ValueTask<IReadOnlyList<QueueInfo>> QueueList(CancellationToken ct = default);

    /// <summary>
    /// Background upkeep, safe to run from many processes at once: promote due scheduled tasks, reclaim
    /// expired leases (a failed attempt "lease_expired": retried with backoff, or dead when none left),
    /// and delete terminal tasks finished more than <paramref name="retention"/> ago.
    /// </summary>
    ValueTask<MaintenanceResult> MaintenanceRun(TimeSpan retention, CancellationToken ct = default);

    /// <summary>
    /// Subscribe to state changes (enqueue, lease, complete, fail, cancel, redrive...). Best effort,
    /// for live views; the handler must be quick and must not throw. Dispose to unsubscribe.
    /// </summary>
    IDisposable EventsSubscribe(Action<TaskEvent> onEvent);
}
