using Conveyor.Model;

namespace Conveyor.Workflows;

/// <summary>
/// A workflow as a producer writes it (Celery's canvas, Hangfire's continuations, Sidekiq's batches):
/// a tree of steps, chains, groups (with an optional callback: a chord) and batches, nestable. The
/// planner (<see cref="WorkflowPlanner"/>) turns it into a graph of tasks; on the wire it is plain JSON
/// (<see cref="WorkflowJson"/>): <c>{"type": ...}</c>, <c>{"chain": [...]}</c>,
/// <c>{"group": [...], "callback": ...}</c>, <c>{"batch": [...], "callback": ...}</c>.
/// </summary>
public abstract record WorkflowNode
{
    /// <summary>One task. It receives its predecessors' result (see <see cref="WorkflowInput.Merge"/>).</summary>
    public static WorkflowNode Step(TaskSubmission task) => new WorkflowStepNode(task);

    /// <summary>Each node runs after the one before it and receives its result.</summary>
    public static WorkflowNode Chain(params WorkflowNode[] steps) => new WorkflowChainNode(steps);

    /// <summary>Every member runs at once; the group's result is the array of their results. With a callback: a chord.</summary>
    public static WorkflowNode Group(IReadOnlyList<WorkflowNode> members, WorkflowNode? callback = null) => new WorkflowGroupNode(members, callback);

    /// <summary>
    /// Every member runs at once, and the batch waits for all of them whatever their outcome (a member's
    /// failure does not fail the workflow); its result is a summary {total, succeeded, failed, results}.
    /// </summary>
    public static WorkflowNode Batch(IReadOnlyList<WorkflowNode> members, WorkflowNode? callback = null) => new WorkflowBatchNode(members, callback);
}

public sealed record WorkflowStepNode(TaskSubmission Task) : WorkflowNode;

public sealed record WorkflowChainNode(IReadOnlyList<WorkflowNode> Steps) : WorkflowNode;

public sealed record WorkflowGroupNode(IReadOnlyList<WorkflowNode> Members, WorkflowNode? Callback) : WorkflowNode;

public sealed record WorkflowBatchNode(IReadOnlyList<WorkflowNode> Members, WorkflowNode? Callback) : WorkflowNode;

/// <summary>What a producer submits: the tree, a name for people, and the failure policy.</summary>
public sealed record WorkflowSubmission
{
    public required WorkflowNode Root { get; init; }
    public string? Name { get; init; }
    /// <summary>
    /// False (default): a step that fails (dead, or cancelled on its own) fails the workflow and its
    /// waiting steps are cancelled. True: the steps after it still run, with null as its result.
    /// </summary>
    public bool ContinueOnFailure { get; init; }
}
