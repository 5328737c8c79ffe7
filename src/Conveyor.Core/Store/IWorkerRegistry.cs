namespace Conveyor.Store;

/// <summary>The worker registry, the part of the storage seam that knows the workers: heartbeats, commands, the list.</summary>
public partial interface IWorkerRegistry : IStorePart
{
    /// <summary>
    /// Upsert a worker's self-report; the store stamps LastHeartbeat with now. Answers the command set
    /// for the worker (<see cref="WorkerCommand"/>) and which of its <see cref="WorkerInfo.Running"/>
    /// tasks were cancelled while running. Forgets workers silent for longer than <see cref="WorkerRegistry.KeepSilent"/>.
    /// </summary>
    ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default);

    /// <summary>
    /// Workers whose last heartbeat is within <paramref name="liveWithin"/> of now (Live), and those
    /// heard from before that but within <see cref="WorkerRegistry.KeepSilent"/> (Silent), ordered by id.
    /// </summary>
    ValueTask<WorkerListResult> WorkerList(TimeSpan liveWithin, CancellationToken ct = default);

    ValueTask WorkerRemove(string workerId, CancellationToken ct = default);
}
