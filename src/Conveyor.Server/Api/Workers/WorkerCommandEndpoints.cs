using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;

namespace Conveyor.Server.Api;

/// <summary>WorkerCommand: quiet or stop a worker. The worker gets it in the answer to its next heartbeat (202).</summary>
internal static class WorkerCommandEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Workers).WithTags("Workers");
        g.MapPost("/{id}/quiet", (string id, TaskEngine engine, CancellationToken ct) => Command(engine, id, WorkerCommandKind.Quiet, ct))
            .RequireScope(Scopes.Admin).Produces<WorkerCommandResponse>(StatusCodes.Status202Accepted).ProducesProblem(404).WithName("WorkerQuiet")
            .WithSummary("Quiet a worker: it stops leasing and finishes what it holds (carried in its next heartbeat's answer)");
        g.MapPost("/{id}/stop", (string id, TaskEngine engine, CancellationToken ct) => Command(engine, id, WorkerCommandKind.Stop, ct))
            .RequireScope(Scopes.Admin).Produces<WorkerCommandResponse>(StatusCodes.Status202Accepted).ProducesProblem(404).WithName("WorkerStop")
            .WithSummary("Stop a worker: it drains and its process exits (carried in its next heartbeat's answer)");
    }

    private static async Task<IResult> Command(TaskEngine engine, string id, WorkerCommandKind command, CancellationToken ct)
    {
        var outcome = await engine.WorkerCommand(new WorkerCommandParams(id, command), ct);
        if (outcome == WorkerCommandOutcome.NotFound) throw ProblemException.NotFound($"no worker {id} in the registry");
        return Results.Json(new WorkerCommandResponse(id, command), Json.ConveyorJson.Options, statusCode: StatusCodes.Status202Accepted);
    }
}
