using Conveyor.Store;

namespace Conveyor.Engine;

/// <summary>
/// The engine composes the three parts of the storage seam: what moves work (<see cref="Delivery"/>),
/// what keeps tasks (<see cref="Records"/>) and who works (<see cref="Workers"/>). SQLite and Redis are
/// all three at once; RabbitMQ delivers with Redis as its records store and registry
/// (<see cref="ComposedTaskStore"/>). The engine's calls name the part they mean (<c>Delivery.TaskLease</c>,
/// <c>Records.TaskGet</c>, <c>Workers.WorkerList</c>); <see cref="Store"/> only for what belongs to the
/// whole (its name, readiness, backup, expiry support).
/// </summary>
public sealed partial class TaskEngine
{
    public TaskEngine(ITaskDelivery delivery, ITaskRecords records, IWorkerRegistry workers, TimeProvider time, TaskLimits? limits = null)
        : this(ComposedTaskStore.Of(delivery, records, workers), time, limits) { }

    public ITaskDelivery Delivery => Store;
    public ITaskRecords Records => Store;
    public IWorkerRegistry Workers => Store;
}
