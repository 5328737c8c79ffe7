namespace Conveyor.Store;

public partial interface IWorkerRegistry
{
    /// <summary>
    /// Set a command (quiet or stop) for a worker in the registry; its next WorkerHeartbeat answers it.
    /// The command stays set until the worker leaves; a later quiet does not undo a stop.
    /// </summary>
    ValueTask<WorkerCommandOutcome> WorkerCommand(WorkerCommandParams request, CancellationToken ct = default);
}
