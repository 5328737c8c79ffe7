namespace Conveyor.Store;

/// <summary>
/// The storage seam (DESIGN §4). Every method is one atomic transition in the store (one SQLite
/// transaction, one Redis script) and reads "now" from the store's injected <see cref="TimeProvider"/>.
/// Operations are named Noun+Verb and share that name with their SQL/Lua file, their conformance
/// tests and their HTTP route. Inputs arrive validated by the engine; stores enforce the lifecycle.
/// The seam is cut in three parts that a store may implement together (SQLite, Redis: one object,
/// one transaction per transition) or that are composed from two systems (<see cref="ComposedTaskStore"/>:
/// RabbitMQ delivers, Redis keeps the records and the registry). <see cref="ITaskStore"/> is the
/// composite of the three, what the engine talks to. Every implementation must pass the conformance
/// suites (<c>TaskDeliveryConformanceTests</c>, <c>TaskRecordsConformanceTests</c>,
/// <c>WorkerRegistryConformanceTests</c>, and <c>TaskStoreConformanceTests</c> for what spans parts).
/// </summary>
public partial interface ITaskStore : ITaskDelivery, ITaskRecords, IWorkerRegistry
{
}
