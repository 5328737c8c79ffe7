using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Engine;

// Issue 15: concurrent single submissions (the HTTP submit route, Submit from many request threads)
// share one store round trip; see EnqueueCoalescer for the rules. A store that groups concurrent
// enqueues itself (IGroupsConcurrentEnqueues: SQLite's group commit) gets each one directly.
public sealed partial class TaskEngine
{
    private readonly EnqueueCoalescer _enqueueCoalescer = new(store.TaskEnqueueMany);
    private readonly bool _storeGroupsEnqueues = store is IGroupsConcurrentEnqueues;

    /// <summary>Store calls the single-submission path has made through the coalescer (each lone call and each gathered batch counts once; none where the store groups enqueues itself).</summary>
    internal long CoalescedEnqueueCalls => _enqueueCoalescer.Calls;

    private ValueTask<IReadOnlyList<EnqueueResult>> EnqueueSingle(TaskRecord record, CancellationToken ct) =>
        _storeGroupsEnqueues ? Delivery.TaskEnqueueMany([record], ct) : _enqueueCoalescer.Enqueue(record, ct);
}
