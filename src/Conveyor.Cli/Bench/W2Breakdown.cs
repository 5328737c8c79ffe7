using System.Diagnostics;
using Conveyor.Engine;
using Conveyor.Store;
using Conveyor.Gateway;

namespace Conveyor.Cli.Bench;

/// <summary>
/// Where W2's pickup time goes, as medians over the samples, each measured from the moment before the
/// submit: when the submit call returned to the producer, when the worker's lease call returned with
/// the task (so the wake-up, its hop to the leaser and the lease round trip are all before it), and when
/// the handler started (so lease -> handler is the worker's own dispatch: the channel to the executor
/// and the executor's start).
/// </summary>
internal sealed record W2Breakdown(double SubmitReturnedMs, double LeaseReturnedMs, double HandlerStartedMs, double LeaseToHandlerMs);

/// <summary>The worker's transport, unchanged, noting when each lease that brought work returned.</summary>
internal sealed class LeaseClockTransport(IWorkerGateway inner) : IWorkerGateway
{
    private long _lastLeaseReturned;

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the last non-empty lease returned.</summary>
    public long LastLeaseReturned => Volatile.Read(ref _lastLeaseReturned);

    public async ValueTask<IReadOnlyList<LeasedTask>> Lease(TaskLeaseParams request, CancellationToken ct = default)
    {
        var leased = await inner.Lease(request, ct).ConfigureAwait(false);
        if (leased.Count > 0) Volatile.Write(ref _lastLeaseReturned, Stopwatch.GetTimestamp());
        return leased;
    }

    public ValueTask<IReadOnlyList<AckResult>> CompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default) => inner.CompleteMany(items, ct);
    public ValueTask<IReadOnlyList<AckResult>> FailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default) => inner.FailMany(items, ct);
    public ValueTask<IReadOnlyList<LeaseExtendResult>> ExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default) => inner.ExtendMany(items, ct);
    public ValueTask<IReadOnlyList<AckResult>> ReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default) => inner.ReleaseMany(items, ct);
    public ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default) => inner.WorkerHeartbeat(worker, ct);
    public ValueTask WorkerRemove(string workerId, CancellationToken ct = default) => inner.WorkerRemove(workerId, ct);
}
