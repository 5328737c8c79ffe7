using Conveyor.Limits;
using Conveyor.Store;

namespace Conveyor.Engine;

// QueueLimitSet / QueueLimitDelete / QueueLimitList: rate and concurrency limits per queue and per key,
// enforced by the store at lease time (ITaskStore.Limits.cs).
public sealed partial class TaskEngine
{
    /// <summary>Adds or replaces a limit of <paramref name="queue"/> (validated first: a refused limit changes nothing).</summary>
    public async ValueTask QueueLimitSet(string queue, QueueLimit limit, CancellationToken ct = default)
    {
        CheckQueue(queue);
        limit.Validated();
        var started = Time.GetTimestamp();
        await Delivery.QueueLimitSet(queue, limit, ct).ConfigureAwait(false);
        StoreTook(nameof(QueueLimitSet), started);
    }

    /// <summary>Removes a limit; false when the queue had none of that name.</summary>
    public async ValueTask<bool> QueueLimitDelete(string queue, string name, CancellationToken ct = default)
    {
        CheckQueue(queue);
        if (!Names.IsValidQueue(name)) throw new ConveyorValidationException("name", $"'{name}' is not a valid limit name");
        var started = Time.GetTimestamp();
        var removed = await Delivery.QueueLimitDelete(queue, name, ct).ConfigureAwait(false);
        StoreTook(nameof(QueueLimitDelete), started);
        return removed;
    }

    /// <summary>The queue's limits with their usage now, by name.</summary>
    public async ValueTask<IReadOnlyList<QueueLimitInfo>> QueueLimitList(string queue, CancellationToken ct = default)
    {
        CheckQueue(queue);
        var started = Time.GetTimestamp();
        var list = await Delivery.QueueLimitList(queue, ct).ConfigureAwait(false);
        StoreTook(nameof(QueueLimitList), started);
        return list;
    }

    private static void CheckQueue(string queue)
    {
        if (Names.CheckQueue(queue) is { } e) throw new ConveyorValidationException("queue", e);
    }
}
