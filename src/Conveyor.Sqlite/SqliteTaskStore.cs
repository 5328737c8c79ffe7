using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Sqlite.Ops;
using Conveyor.Store;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

/// <summary>
/// The embedded store (DESIGN §4): one SQLite file in WAL mode (or <c>":memory:"</c>). Every change goes
/// through ONE writer loop that group-commits whatever is queued in one transaction (one fsync with
/// synchronous=FULL) and answers each caller only after the commit; reads use separate connections.
/// Blocking leases and <see cref="TaskWait"/> are woken by in-process signals raised after each commit,
/// and by timers of the injected <see cref="TimeProvider"/>; nothing sleep-polls.
/// <code>await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = "conveyor.db" }, TimeProvider.System);</code>
/// </summary>
public sealed partial class SqliteTaskStore : ITaskStore
{
    private readonly TimeProvider time;
    private readonly Signals signals = new();
    private readonly SqliteConnection writerConnection;
    private readonly WriteLoop writer;
    private readonly ReaderPool readers;
    private readonly DiskFull diskFull;
    private readonly CancellationTokenSource shutdown = new();
    private int disposed;

    /// <summary>Opens (creating and migrating when needed) the database of <paramref name="options"/>.</summary>
    public SqliteTaskStore(SqliteStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        Options = options ?? new SqliteStoreOptions();
        Options.Validate();
        time = timeProvider ?? TimeProvider.System;
        var connections = new Connections(Options);
        writerConnection = connections.OpenWriter(Options);
        diskFull = new DiskFull(Options);
        writer = new WriteLoop(new WriteContext(writerConnection, time, Options).HookLimits(), signals, diskFull, connections.MemoryGate);
        readers = new ReaderPool(connections);
        otherProcesses = WatchOtherProcesses(connections); // ops: cross-process wake (SqliteTaskStore.OtherProcesses.cs)
    }

    public string Name => "sqlite";

    public SqliteStoreOptions Options { get; }

    public async ValueTask<IReadOnlyList<EnqueueResult>> TaskEnqueueMany(IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default)
    {
        if (tasks.Count == 0) return [];
        ct.ThrowIfCancellationRequested();
        return await writer.Enqueue(ctx => EnqueueOps.TaskEnqueueMany(ctx, tasks)).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<LeasedTask>> TaskLease(TaskLeaseParams request, CancellationToken ct = default)
    {
        // Read the clock now, synchronously: the wait is measured from the call, whatever happens later.
        var deadline = time.GetUtcNow() + request.Wait;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // Take the wake-up generations BEFORE looking, so work arriving in between is never missed.
            var changed = new Task[request.Queues.Count + 1];
            for (var i = 0; i < request.Queues.Count; i++) changed[i] = signals.QueueChanged(request.Queues[i]);
            // Not cancellable once queued: a lease taken must reach the caller, or it would sit until expiry.
            var pass = await writer.Enqueue(ctx => LeaseOps.TaskLease(ctx, request)).ConfigureAwait(false);
            if (pass.Leased.Count > 0) return pass.Leased;
            var now = time.GetUtcNow();
            if (now >= deadline) return [];
            var wakeAt = pass.NextDue is { } due && due < deadline ? due : deadline;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, shutdown.Token);
            changed[^1] = Task.Delay(wakeAt > now ? wakeAt - now : TimeSpan.Zero, time, stop.Token);
            await Task.WhenAny(changed).ConfigureAwait(false);
            stop.Cancel(); // pickup: inline (only the delay's timer listens), no thread-pool hop before the next look
            // The store is closing: a blocked leaser gets "nothing to do" at once rather than an error later.
            if (shutdown.IsCancellationRequested) return [];
        }
    }

    public async ValueTask<IReadOnlyList<AckResult>> TaskCompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default) =>
        items.Count == 0 ? [] : await writer.Enqueue(ctx => AckOps.TaskCompleteMany(ctx, items)).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<AckResult>> TaskFailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default) =>
        items.Count == 0 ? [] : await writer.Enqueue(ctx => AckOps.TaskFailMany(ctx, items)).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<LeaseExtendResult>> LeaseExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default) =>
        items.Count == 0 ? [] : await writer.Enqueue(ctx => AckOps.LeaseExtendMany(ctx, items)).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<AckResult>> TaskReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default) =>
        items.Count == 0 ? [] : await writer.Enqueue(ctx => AckOps.TaskReleaseMany(ctx, items)).ConfigureAwait(false);

    public async ValueTask<CancelResult> TaskCancel(string id, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => AdminOps.TaskCancel(ctx, id)).ConfigureAwait(false);

    public async ValueTask<int> DeadLetterRedrive(DeadLetterRedriveParams request, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => AdminOps.DeadLetterRedrive(ctx, request)).ConfigureAwait(false);

    public async ValueTask<int> DeadLetterPurge(DeadLetterPurgeParams request, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => AdminOps.DeadLetterPurge(ctx, request)).ConfigureAwait(false);

    public async ValueTask QueuePause(string queue, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => AdminOps.QueuePause(ctx, queue)).ConfigureAwait(false);

    public async ValueTask QueueResume(string queue, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => AdminOps.QueueResume(ctx, queue)).ConfigureAwait(false);

    public async ValueTask WorkerRemove(string workerId, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => AdminOps.WorkerRemove(ctx, workerId)).ConfigureAwait(false);

    public ValueTask<MaintenanceResult> MaintenanceRun(TimeSpan retention, CancellationToken ct = default) =>
        MaintenanceRun(new MaintenanceRunParams(Conveyor.Retention.RetentionPolicy.Uniform(retention)), ct);

    public IDisposable EventsSubscribe(Action<TaskEvent> onEvent) => signals.Subscribe(onEvent);

    /// <summary>Reads a PRAGMA on the writer connection (journal_mode, synchronous...): for diagnostics and tests.</summary>
    internal async ValueTask<object?> WriterPragma(string pragma) =>
        await writer.Enqueue(ctx => Connections.Scalar(ctx.Connection, $"PRAGMA {pragma};")).ConfigureAwait(false);

    /// <summary>How many transactions the writer has committed: for diagnostics and tests of the group commit.</summary>
    internal long WriterBatches => writer.Batches;

    /// <summary>Runs <paramref name="body"/> on the writer, inside its batch transaction (tests hold the writer with it).</summary>
    internal Task<T> RunOnWriter<T>(Func<T> body) => writer.Enqueue(_ => body());

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        await shutdown.CancelAsync().ConfigureAwait(false);
        otherProcesses?.Dispose(); // ops
        await writer.DisposeAsync().ConfigureAwait(false);
        readers.Dispose();
        writerConnection.Dispose();
    }
}
