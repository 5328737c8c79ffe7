namespace Conveyor.Engine;

// Issue 15: concurrent single submissions (the HTTP submit route, Submit from many request threads)
// share one store round trip; see EnqueueCoalescer for the rules.
public sealed partial class TaskEngine
{
    private readonly EnqueueCoalescer _enqueueCoalescer = new(store.TaskEnqueueMany);

    /// <summary>Store calls the single-submission path has made (each lone call and each gathered batch counts once).</summary>
    internal long CoalescedEnqueueCalls => _enqueueCoalescer.Calls;
}
