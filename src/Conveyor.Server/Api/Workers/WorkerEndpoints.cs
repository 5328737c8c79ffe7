using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;

namespace Conveyor.Server.Api;

/// <summary>WorkerList, WorkerHeartbeat (remote workers register themselves), WorkerRemove.</summary>
internal static class WorkerEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Workers).WithTags("Workers");
        g.MapGet("", async (TaskEngine engine, ServerOptions options, CancellationToken ct) =>
                ApiResults.Ok(new WorkerListResponse(await engine.WorkerList(options.WorkerLiveWithin, ct))))
            .RequireScope(Scopes.Submit, Scopes.Work).Produces<WorkerListResponse>().WithName("WorkerList")
            .WithSummary("Live workers: host, pid, queues, concurrency, running tasks, last heartbeat, processed");
        g.MapPost("/heartbeat", Heartbeat).RequireScope(Scopes.Work).Accepts<WorkerInfo>("application/json")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(400).WithName("WorkerHeartbeat")
            .WithSummary("A worker reports itself (register or refresh)");
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
        await engine.WorkerHeartbeat(worker with { Queues = worker.Queues ?? [], RunningTaskIds = worker.RunningTaskIds ?? [] }, ctx.RequestAborted);
        return Results.NoContent();
    }
}
