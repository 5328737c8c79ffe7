using Conveyor.Engine;
using Conveyor.Store;

namespace Conveyor.Gateway;

/// <summary>
/// What a worker needs from the outside world: the same operations whether the worker runs next to
/// the store (<see cref="EngineGateway"/>) or talks to a broker over HTTP (the client's
/// <c>HttpWorkerGateway</c>). One handler code runs either way.
/// </summary>
public interface IWorkerGateway
{
    ValueTask<IReadOnlyList<LeasedTask>> Lease(TaskLeaseParams request, CancellationToken ct = default);
    ValueTask<IReadOnlyList<AckResult>> CompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default);
    ValueTask<IReadOnlyList<AckResult>> FailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default);
    ValueTask<IReadOnlyList<LeaseExtendResult>> ExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default);
    ValueTask<IReadOnlyList<AckResult>> ReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default);
    /// <summary>Reports the worker; the answer carries its command and the ids of its running tasks whose cancel was requested.</summary>
    ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default);
    ValueTask WorkerRemove(string workerId, CancellationToken ct = default);
}

/// <summary>The in-process gateway: straight to the engine (and so to the store).</summary>
public sealed class EngineGateway(TaskEngine engine) : IWorkerGateway
{
    public ValueTask<IReadOnlyList<LeasedTask>> Lease(TaskLeaseParams request, CancellationToken ct = default) => engine.Lease(request, ct);
    public ValueTask<IReadOnlyList<AckResult>> CompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default) => engine.CompleteMany(items, ct);
    public ValueTask<IReadOnlyList<AckResult>> FailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default) => engine.FailMany(items, ct);
    public ValueTask<IReadOnlyList<LeaseExtendResult>> ExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default) => engine.ExtendMany(items, ct);
    public ValueTask<IReadOnlyList<AckResult>> ReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default) => engine.ReleaseMany(items, ct);
    public ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default) => engine.WorkerHeartbeat(worker, ct);
    public ValueTask WorkerRemove(string workerId, CancellationToken ct = default) => engine.WorkerRemove(workerId, ct);
}
