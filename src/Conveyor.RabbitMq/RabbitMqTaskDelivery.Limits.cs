using Conveyor.Limits;
using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.RabbitMq;

// Rate and concurrency limits live in the records and are enforced where the lease is decided: in
// TaskLeaseByIds, atomically with the lease, for each task whose message RabbitMQ handed over. A task
// over a limit is parked in the records and its message acknowledged (the records hold it, so RabbitMQ
// never spins it round); when a slot frees or a rate window reopens, the parked task re-enters ready
// with a fresh seq, so the outbox publishes it again. RabbitMQ's own order never decides a limit.
public sealed partial class RabbitMqTaskDelivery
{
    /// <summary>Sets the limit in the records, then publishes what it put back in line (a replaced limit's parked tasks).</summary>
    public async ValueTask QueueLimitSet(string queue, QueueLimit limit, CancellationToken ct = default)
    {
        await _records.QueueLimitSet(queue, limit, ct).ConfigureAwait(false);
        await PublishAfterLimitChange(queue, ct).ConfigureAwait(false);
    }

    /// <summary>Removes the limit in the records, then publishes its parked tasks (back in line).</summary>
    public async ValueTask<bool> QueueLimitDelete(string queue, string name, CancellationToken ct = default)
    {
        var deleted = await _records.QueueLimitDelete(queue, name, ct).ConfigureAwait(false);
        if (deleted) await PublishAfterLimitChange(queue, ct).ConfigureAwait(false);
        return deleted;
    }

    public ValueTask<IReadOnlyList<QueueLimitInfo>> QueueLimitList(string queue, CancellationToken ct = default) =>
        _records.QueueLimitList(queue, ct);

    /// <summary>The change is written; tasks it put back in line wait in the outbox if RabbitMQ does not answer now.</summary>
    private async Task PublishAfterLimitChange(string queue, CancellationToken ct)
    {
        try { await Publish(queue, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogWarning("Tasks of {Queue} put back in line by a limit change wait in the outbox: {Error}", queue, e.Message);
        }
    }
}
