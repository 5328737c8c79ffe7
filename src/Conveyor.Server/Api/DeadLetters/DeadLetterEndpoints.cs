using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;
using Microsoft.AspNetCore.Mvc;

namespace Conveyor.Server.Api;

/// <summary>The dead-letter queue: failed (dead) tasks; DeadLetterRedrive puts them back to pending, DeadLetterPurge deletes.</summary>
internal static class DeadLetterEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.DeadLetters).WithTags("Dead letters").RequireScope(Scopes.Admin);
        g.MapGet("", List).Produces<TaskPage>().ProducesProblem(400).WithName("DeadLetterList")
            .WithSummary("Dead tasks, newest first (optionally of one queue / type)");
        g.MapPost("/{id}/retry", TaskActionEndpoints.DeadLetterRedrive).Accepts<RedriveRequest>("application/json")
            .Produces<CountResponse>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).WithName("DeadLetterRedrive")
            .WithSummary("Put one dead task back to pending (attempts reset); an optional body {\"args\": ...} redrives it with new args");
        g.MapPost("/retry", async ([FromQuery] string? queue, TaskEngine engine, CancellationToken ct) =>
                ApiResults.Ok(new CountResponse(await engine.DeadLetterRedrive(new DeadLetterRedriveParams(Queue: QueryArgs.Text(queue)), ct))))
            .Produces<CountResponse>().ProducesProblem(400).WithName("DeadLetterRedriveAll").WithSummary("Put every dead task (of `queue` when given) back to pending");
        g.MapDelete("/{id}", async (string id, TaskEngine engine, CancellationToken ct) =>
                await engine.DeadLetterPurge(new DeadLetterPurgeParams(TaskId: id), ct) is var n and > 0
                    ? ApiResults.Ok(new CountResponse(n)) : throw ProblemException.NotFound($"no dead task {id}"))
            .Produces<CountResponse>().ProducesProblem(404).WithName("DeadLetterPurge").WithSummary("Delete one dead task");
    }

    private static async Task<IResult> List([FromQuery] string? queue, [FromQuery] string? type, [FromQuery] string? limit,
        [FromQuery] string? cursor, TaskEngine engine, CancellationToken ct) =>
        ApiResults.Ok(await engine.List(new TaskListParams(TaskState.Failed, QueryArgs.Text(queue), QueryArgs.Text(type),
            QueryArgs.Int(limit, "limit", 50), QueryArgs.Text(cursor)), ct));
}
