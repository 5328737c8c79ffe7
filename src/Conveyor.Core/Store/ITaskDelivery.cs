using Conveyor.Model;

namespace Conveyor.Store;

/// <summary>
/// Delivery, the part of the storage seam that moves work (DESIGN §4): enqueue, lease with a blocking
/// wait, complete, fail, release, extend, pause and resume. Leases, tokens and deadlines are fenced in
/// the records: a delivery that is not itself a records store (RabbitMQ) writes them through its
/// records store, never with a token of its own.
/// </summary>
public partial interface ITaskDelivery : IStorePart
{
    /// <summary>
    /// Store many new tasks (built by the engine: id, timestamps and state already set). Returns once
    /// durable. A task whose idempotency key is already held in its queue within the window yields the
    /// existing task with Created=false. The order of results matches the input.
    /// </summary>
    ValueTask<IReadOnlyList<EnqueueResult>> TaskEnqueueMany(IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default);

    /// <summary>
    /// Lease up to Max ready tasks: state pending, or scheduled and due (due tasks are promoted here,
    /// not only by maintenance), from unpaused queues in the given order, priority 9 first, FIFO within
    /// a priority. Each leased task becomes running, attempt+1, with a fresh lease token and deadline.
    /// When nothing is ready, waits up to Wait, woken at once by an enqueue/redrive/release into one of
    /// the queues (or when a scheduled task there falls due); never by sleep polling. Many concurrent
    /// leasers never receive the same task.
    /// </summary>
    ValueTask<IReadOnlyList<LeasedTask>> TaskLease(TaskLeaseParams request, CancellationToken ct = default);

    /// <summary>Running → succeeded, with the result. Stale token: nothing changes.</summary>
    ValueTask<IReadOnlyList<AckResult>> TaskCompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default);

    /// <summary>
    /// Running → scheduled (attempts left and Retry: scheduled_for = now + backoff) or failed (dead).
    /// Stale token: nothing changes.
    /// </summary>
    ValueTask<IReadOnlyList<AckResult>> TaskFailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default);

    /// <summary>Push lease deadlines forward (the heartbeat), optionally recording progress.</summary>
    ValueTask<IReadOnlyList<LeaseExtendResult>> LeaseExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default);

    /// <summary>Running → pending without charging the attempt (attempt-1): a draining worker hands work back.</summary>
    ValueTask<IReadOnlyList<AckResult>> TaskReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default);

    /// <summary>A paused queue keeps accepting tasks but none is leased from it. Idempotent.</summary>
    ValueTask QueuePause(string queue, CancellationToken ct = default);

    ValueTask QueueResume(string queue, CancellationToken ct = default);
}
