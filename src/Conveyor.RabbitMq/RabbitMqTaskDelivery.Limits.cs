using Conveyor.Engine;
using Conveyor.Limits;
using Conveyor.Store;

namespace Conveyor.RabbitMq;

// Rate and concurrency limits are enforced inside the lease transition of a store that is its own
// delivery (SQLite, Redis). RabbitMQ hands messages out in its own order, so this delivery refuses
// to set a limit (a 400 that names the store) rather than accept one it would not keep.
public sealed partial class RabbitMqTaskDelivery
{
    public ValueTask QueueLimitSet(string queue, QueueLimit limit, CancellationToken ct = default) =>
        throw new ConveyorValidationException("limit", "rate and concurrency limits are not supported when RabbitMQ delivers the queue (docs/rabbitmq.md); use the SQLite or Redis store for limited queues");

    public ValueTask<bool> QueueLimitDelete(string queue, string name, CancellationToken ct = default) => ValueTask.FromResult(false);

    public ValueTask<IReadOnlyList<QueueLimitInfo>> QueueLimitList(string queue, CancellationToken ct = default) =>
        ValueTask.FromResult<IReadOnlyList<QueueLimitInfo>>([]);
}
