using Conveyor.Model;

namespace Conveyor.Store;

// The dashboard's task actions (issue 10): retry now, delete, the bulk-action audit log, dead letters by error type.
public partial interface ITaskRecords
{
    /// <summary>
    /// "Retry now", per id: scheduled → pending now (attempts kept); failed (dead) or cancelled → pending
    /// with the attempt count reset to 0 as <see cref="DeadLetterRedrive"/> does (history and last error
    /// kept); pending, running, succeeded → <see cref="RetryOutcome.WrongState"/>, nothing changed.
    /// Results in input order.
    /// </summary>
    ValueTask<IReadOnlyList<RetryResult>> TaskRetryMany(IReadOnlyList<string> ids, CancellationToken ct = default);

    /// <summary>
    /// Delete tasks in any state but running (<see cref="DeleteOutcome.Running"/>: nothing changed), with
    /// every secondary index entry (state sets, the id index, the idempotency key the task holds).
    /// Results in input order.
    /// </summary>
    ValueTask<IReadOnlyList<DeleteResult>> TaskDeleteMany(IReadOnlyList<string> ids, CancellationToken ct = default);

    /// <summary>Append a bulk action to the audit log, which keeps the newest <see cref="BulkActionRecord.Kept"/>.</summary>
    ValueTask BulkActionRecord(BulkActionRecord record, CancellationToken ct = default);

    /// <summary>The newest bulk actions first, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<BulkActionRecord>> BulkActionList(int limit, CancellationToken ct = default);

    /// <summary>Dead tasks counted by their last error's type (of one queue, or all), the largest group first.</summary>
    ValueTask<DeadLetterGroups> DeadLetterGroups(string? queue, CancellationToken ct = default);
}
