using Conveyor.Limits;

namespace Conveyor.Store;

// Flow control (issue 14 items 3 and 6): rate and concurrency limits enforced at lease time. Unique
// while active lives in TaskEnqueueMany (TaskRecord.UniqueKey).
public partial interface ITaskDelivery
{
    /// <summary>
    /// Adds or replaces the queue's limit of that name (validated by the engine; at most
    /// <see cref="QueueLimit.MaxLimitsPerQueue"/> per queue). From then on TaskLease enforces it: a
    /// task over any of its queue's limits stays pending, parked (out of the lease's way: a lease never
    /// walks blocked tasks again), until a running task it counts with leaves running (complete, fail,
    /// release, cancel, lease expiry) or its rate window reopens; then it goes back in line in its
    /// priority and FIFO place, and blocked leasers are woken. Usage counts tasks leased after the
    /// limit was set. Replacing a limit puts its parked tasks back in line (the new bounds apply).
    /// </summary>
    ValueTask QueueLimitSet(string queue, QueueLimit limit, CancellationToken ct = default);

    /// <summary>Removes the limit; its parked tasks go back in line. False when there was none.</summary>
    ValueTask<bool> QueueLimitDelete(string queue, string name, CancellationToken ct = default);

    /// <summary>The queue's limits by name, each with its current usage (at most <see cref="QueueLimitUsage.MaxKeys"/> keys, busiest first).</summary>
    ValueTask<IReadOnlyList<QueueLimitInfo>> QueueLimitList(string queue, CancellationToken ct = default);
}

/// <summary>A limit and its usage now.</summary>
/// <param name="Usage">Per key value ("" for a queue-wide limit): the busiest keys first.</param>
public sealed record QueueLimitInfo(QueueLimit Limit, IReadOnlyList<QueueLimitUsage> Usage);

/// <summary>
/// One key's usage: tasks running, tasks started in the current rate window (0 when the window has
/// closed), and tasks waiting (parked) for this key.
/// </summary>
public sealed record QueueLimitUsage(string Key, long Running, long StartedInWindow, long Waiting)
{
    public const int MaxKeys = 50;
}
