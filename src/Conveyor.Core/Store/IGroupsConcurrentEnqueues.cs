namespace Conveyor.Store;

/// <summary>
/// Marks a store whose <see cref="ITaskDelivery.TaskEnqueueMany"/> already shares one write among
/// concurrent calls (SQLite's single writer: whatever is queued joins the next group commit, with
/// late joiners up to its fsync). The engine then sends each single submission straight to the store
/// instead of through its <c>EnqueueCoalescer</c>: the coalescer's one call in flight would make
/// callers queue behind a whole fsync instead of joining the writer's next group (measured: direct
/// SQLite-file single enqueue 21k/s without it, 14.6k/s with it; docs/internals.md).
/// </summary>
public interface IGroupsConcurrentEnqueues;
