using Conveyor.Client.Protocol;
using Conveyor.Workflows;

namespace Conveyor.Client;

// WorkflowSubmit, WorkflowGet and WorkflowCancel (POST /api/v1/workflows, GET /api/v1/workflows/{id}, POST .../cancel).
public sealed partial class ConveyorClient
{
    /// <summary>Submit a workflow (a chain, group, chord or batch, nestable). Throws (400) with the path of each bad node.</summary>
    public Task<WorkflowView> WorkflowSubmit(WorkflowSubmission submission, CancellationToken ct = default) =>
        api.Call<WorkflowView>(HttpMethod.Post, Routes.Workflows, WorkflowJson.ToJson(submission), ct);

    /// <summary>The workflow with its steps and progress; null when there is none.</summary>
    public Task<WorkflowView?> WorkflowGet(string id, CancellationToken ct = default) => OrNull<WorkflowView>(HttpMethod.Get, Routes.Workflow(id), ct);

    /// <summary>Cancel the workflow and its unfinished steps; null when there is none.</summary>
    public Task<WorkflowView?> WorkflowCancel(string id, CancellationToken ct = default) => OrNull<WorkflowView>(HttpMethod.Post, Routes.WorkflowCancel(id), ct);
}
