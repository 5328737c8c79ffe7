using Conveyor.Workflows;

namespace Conveyor.Client.Protocol;

/// <summary>
/// What <c>GET /api/v1/workflows/{id}</c> (and submit, cancel) answer: the workflow's record, each
/// step with its task's state (<c>task_state</c>) and the steps it waits for (<c>after</c>), and its
/// progress (steps, and each batch's members, finished of total).
/// </summary>
public sealed record WorkflowView(WorkflowRecord Workflow, WorkflowProgress Progress)
{
    public static WorkflowView Of(WorkflowRecord wf) => new(wf, WorkflowInput.Progress(wf));
}
