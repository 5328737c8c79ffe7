using Conveyor.Model;

namespace Conveyor.Store;

/// <summary>
/// The storage seam (DESIGN §4). Every method is one atomic transition in the store (one SQLite
/// transaction, one Redis script) and reads "now" from the store's injected <see cref="TimeProvider"/>.
/// Operations are named Noun+Verb and share that name with their SQL/Lua file, their conformance
/// tests and their HTTP route. Inputs arrive validated by the engine; stores enforce the lifecycle.
/// Every implementation must pass <c>TaskStoreConformanceTests</c>.
/// </summary>
public partial interface ITaskStore : IAsyncDisposable
{
    /// <summary>Short name for logs and bench output: "sqlite", "redis".</summary>
    string Name { get; }

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

    /// <summary>A paused queue keeps accepting tasks but none is leased from it. Idempotent.</summary>
    ValueTask QueuePause(string queue, CancellationToken ct = default);

    ValueTask QueueResume(string queue, CancellationToken ct = default);

    /// <summary>Every queue that has tasks or is paused, with counts by state.</summary>
    ValueTask<IReadOnlyList<QueueInfo>> QueueList(CancellationToken ct = default);

    /// <summary>Upsert a worker's self-report; the store stamps LastHeartbeat with now.</summary>
    ValueTask WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default);

    /// <summary>Workers whose last heartbeat is within <paramref name="liveWithin"/> of now.</summary>
    ValueTask<IReadOnlyList<WorkerInfo>> WorkerList(TimeSpan liveWithin, CancellationToken ct = default);

    ValueTask WorkerRemove(string workerId, CancellationToken ct = default);

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

    /// <summary>Whether the store is reachable (for /readyz).</summary>
    ValueTask<bool> Ping(CancellationToken ct = default);
}
