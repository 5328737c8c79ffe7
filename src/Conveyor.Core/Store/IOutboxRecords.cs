using Conveyor.Model;

namespace Conveyor.Store;

/// <summary>
/// What a records store offers a delivery kept in another system (RabbitMQ): the records stay the
/// fence (leases, tokens and deadlines are written here; the delivery's own tags never are), and the
/// ready set doubles as the outbox, so a crash between writing a record and publishing it never
/// strands a task. Redis implements it (<c>RedisTaskStore</c>).
/// </summary>
public interface IOutboxRecords : ITaskRecords, IWorkerRegistry
{
    /// <summary>Write new tasks (as <see cref="ITaskDelivery.TaskEnqueueMany"/>); the pending ones enter the outbox in the same write.</summary>
    ValueTask<IReadOnlyList<EnqueueResult>> TaskEnqueueMany(IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default);

    /// <summary>
    /// Promote the queue's due scheduled tasks, then answer at most <paramref name="limit"/> ready tasks
    /// the delivery was not yet handed (smallest seq first), whether the queue is paused, and the next
    /// time a scheduled task there falls due.
    /// </summary>
    ValueTask<OutboxBatch> OutboxTake(string queue, int limit, CancellationToken ct = default);

    /// <summary>The delivery confirmed its publishes of the queue's outbox through <paramref name="seq"/>.</summary>
    ValueTask OutboxConfirm(string queue, long seq, CancellationToken ct = default);

    /// <summary>
    /// Lease the named tasks of one queue that are still ready (attempt+1, a fresh token and deadline,
    /// as <see cref="ITaskDelivery.TaskLease"/>); one answer per id in order, null for a task that is not
    /// ready, has expired, or is over one of the queue's limits (parked in the records, back in the
    /// outbox with a fresh seq once the limit frees): its message is spent. Nothing is leased from a paused queue (<see cref="TaskLeaseByIdsResult.Paused"/>).
    /// </summary>
    ValueTask<TaskLeaseByIdsResult> TaskLeaseByIds(TaskLeaseByIdsParams request, CancellationToken ct = default);

    /// <summary>As <see cref="ITaskDelivery.TaskReleaseMany"/>, the released task entering the outbox in the same write.</summary>
    ValueTask<IReadOnlyList<AckResult>> OutboxRelease(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default);

    ValueTask<IReadOnlyList<AckResult>> TaskCompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default);
    ValueTask<IReadOnlyList<AckResult>> TaskFailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default);
    ValueTask<IReadOnlyList<LeaseExtendResult>> LeaseExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default);
    ValueTask QueuePause(string queue, CancellationToken ct = default);
    ValueTask QueueLimitSet(string queue, Limits.QueueLimit limit, CancellationToken ct = default);
    ValueTask<bool> QueueLimitDelete(string queue, string name, CancellationToken ct = default);
    ValueTask<IReadOnlyList<QueueLimitInfo>> QueueLimitList(string queue, CancellationToken ct = default);
    ValueTask QueueResume(string queue, CancellationToken ct = default);

    /// <summary>
    /// A task that completes when the records wake the queue's leasers (a resume, new work), armed before
    /// the caller looks for work so that no wake-up is missed in between.
    /// </summary>
    ValueTask<Task> LeaseWakeArm(string queue, CancellationToken ct = default);

    /// <summary>Every queue the records know (for the outbox sweep).</summary>
    ValueTask<IReadOnlyList<string>> OutboxQueues(CancellationToken ct = default);
}

/// <summary>A ready task the delivery has not been handed yet.</summary>
public sealed record OutboxEntry(string TaskId, int Priority, long Seq);

public sealed record OutboxBatch(IReadOnlyList<OutboxEntry> Ready, bool Paused, DateTimeOffset? NextDue);

public sealed record TaskLeaseByIdsParams(string Queue, IReadOnlyList<string> TaskIds, string WorkerId, TimeSpan LeaseDuration);

/// <summary>One entry per id asked, in order: the lease, or null when the task was not ready.</summary>
public sealed record TaskLeaseByIdsResult(bool Paused, IReadOnlyList<LeasedTask?> Leased);
