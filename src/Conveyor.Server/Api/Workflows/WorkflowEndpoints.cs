using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Workflows;

namespace Conveyor.Server.Api;

/// <summary>Workflow routes: WorkflowSubmit, WorkflowGet, WorkflowCancel (scopes as the task routes). Thin: the rules are in <see cref="TaskEngine"/>.</summary>
internal static class WorkflowEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Workflows).WithTags("Workflows");

        g.MapPost("", Submit).RequireScope(Scopes.Submit)
            .Accepts<object>("application/json")
            .Produces<WorkflowView>(StatusCodes.Status201Created)
            .ProducesProblem(400).ProducesProblem(413).ProducesProblem(507).WithName("WorkflowSubmit")
            .WithSummary("Submit a workflow: a task, chain, group (with a callback: a chord) or batch, nestable (see docs/workflows.md)");

        g.MapGet("/{id}", Get).RequireScope(Scopes.Submit, Scopes.Work)
            .Produces<WorkflowView>().ProducesProblem(404).WithName("WorkflowGet")
            .WithSummary("A workflow with its state, result, progress and each step's state");

        g.MapPost("/{id}/cancel", Cancel).RequireScope(Scopes.Submit)
            .Produces<WorkflowView>().ProducesProblem(404).WithName("WorkflowCancel")
            .WithSummary("Cancel a workflow: every step not finished is cancelled (waiting and pending at once, running via the worker's next heartbeat)");
    }

    private static async Task<IResult> Submit(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        using var body = await JsonBody.ReadDocument(ctx, options.MaxBatchBodyBytes);
        var wf = await engine.WorkflowSubmit(WorkflowJson.Parse(body.RootElement), ctx.RequestAborted);
        return ApiResults.Created(WorkflowView.Of(wf), Routes.Workflow(wf.Id));
    }

    private static async Task<IResult> Get(string id, TaskEngine engine, CancellationToken ct) =>
        await engine.WorkflowGet(id, ct) is { } wf ? ApiResults.Ok(WorkflowView.Of(wf)) : throw ProblemException.NotFound($"no workflow {id}");

    private static async Task<IResult> Cancel(string id, TaskEngine engine, CancellationToken ct) =>
        await engine.WorkflowCancel(id, ct) is { } wf ? ApiResults.Ok(WorkflowView.Of(wf)) : throw ProblemException.NotFound($"no workflow {id}");
}
