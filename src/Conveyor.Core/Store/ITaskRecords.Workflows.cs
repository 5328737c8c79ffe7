using Conveyor.Model;
using Conveyor.Workflows;

namespace Conveyor.Store;

public partial interface ITaskRecords
{
    /// <summary>
    /// Store a planned workflow (its record and one task per step: first steps pending, the rest
    /// waiting). Returns once durable. SQLite: one transaction. Redis: the step tasks first (inert
    /// while waiting), then the record, which is what makes the workflow exist.
    /// </summary>
    ValueTask WorkflowCreate(WorkflowRecord workflow, IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default);

    /// <summary>The workflow's record as stored (step states as the workflow knows them), or null.</summary>
    ValueTask<WorkflowRecord?> WorkflowGet(string id, CancellationToken ct = default);

    /// <summary>
    /// Bring the workflow up to date with its steps' tasks (<see cref="WorkflowRules.Advance"/>): record
    /// finished steps, release or skip what follows, finish the workflow. Idempotent: a second call
    /// changes nothing and releases nothing twice. SQLite runs it inside the transition that ends a
    /// step (complete, fail, dead after a lease expiry), so this call only repairs; Redis runs it after
    /// the step's own script (another hash slot): see docs/workflows.md for why nothing is lost or run twice.
    /// </summary>
    ValueTask<WorkflowRecord?> WorkflowAdvance(string id, CancellationToken ct = default);

    /// <summary>Cancel the workflow and every step not finished (waiting, pending, scheduled; a running one as a task cancel).</summary>
    ValueTask<WorkflowRecord?> WorkflowCancel(string id, CancellationToken ct = default);

    /// <summary>
    /// Maintenance: advance up to <paramref name="max"/> unsettled workflows not looked at for a while
    /// (what a process that died between a step's end and its release left undone). Returns how many it advanced.
    /// </summary>
    ValueTask<int> WorkflowSweep(int max, CancellationToken ct = default);
}
