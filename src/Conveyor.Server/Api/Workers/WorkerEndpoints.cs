using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;

namespace Conveyor.Server.Api;

/// <summary>WorkerList, WorkerHeartbeat (remote workers register themselves), WorkerRemove. Commands: <see cref="WorkerCommandEndpoints"/>.</summary>
internal static class WorkerEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Workers).WithTags("Workers");
        g.MapGet("", async (TaskEngine engine, ServerOptions options, CancellationToken ct) =>
            {
                var list = await engine.WorkerList(options.WorkerLiveWithin, ct);
                return ApiResults.Ok(new WorkerListResponse(list.Live, list.Silent));
            })
            .RequireScope(Scopes.Submit, Scopes.Work).Produces<WorkerListResponse>().WithName("WorkerList")
            .WithSummary("Live workers (host, pid, queues, concurrency, types, running tasks, last heartbeat, processed) and those gone silent within the hour");
        g.MapPost("/heartbeat", Heartbeat).RequireScope(Scopes.Work).Accepts<WorkerInfo>("application/json")
            .Produces<WorkerHeartbeatResponse>().ProducesProblem(400).WithName("WorkerHeartbeat")
            .WithSummary("A worker reports itself (register or refresh); the answer carries its command and the running tasks to cancel");
        g.MapDelete("/{id}", async (string id, TaskEngine engine, CancellationToken ct) =>
            {
                await engine.WorkerRemove(id, ct);
                return Results.NoContent();
            })
            .RequireScope(Scopes.Work).Produces(StatusCodes.Status204NoContent).WithName("WorkerRemove")
            .WithSummary("A stopping worker removes itself from the registry");
    }

    private static async Task<IResult> Heartbeat(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var worker = await JsonBody.Read<WorkerInfo>(ctx, options.MaxBodyBytes);
        if (string.IsNullOrEmpty(worker.Host)) throw ProblemException.Validation("host", "host is required");
        var answer = await engine.WorkerHeartbeat(worker with
        {
            Queues = worker.Queues ?? [], RunningTaskIds = worker.RunningTaskIds ?? [], Types = worker.Types ?? [],
            Running = worker.Running ?? [], Status = worker.Status ?? WorkerStatus.Running,
        }, ctx.RequestAborted);
        return ApiResults.Ok(new WorkerHeartbeatResponse(answer.Command, answer.Cancel));
    }
}
