using System.Text.Json;
using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;
using Microsoft.AspNetCore.Mvc;

namespace Conveyor.Server.Api;

/// <summary>
/// The dashboard's task actions (admin): TaskRetry ("retry now"), TaskDelete, BulkAction (by ids or by
/// filter, recorded), BulkActionList (the audit log), DeadLetterGroups, and DeadLetterRedrive's
/// optional new args. Thin: every rule is in <see cref="TaskEngine"/>.
/// </summary>
internal static class TaskActionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup(Routes.Tasks).WithTags("Tasks").RequireScope(Scopes.Admin);
        tasks.MapPost("/{id}/retry", Retry).Produces<TaskRecord>().ProducesProblem(404).ProducesProblem(409).WithName("TaskRetry")
            .WithSummary("Retry now: a scheduled task runs now (attempts kept); a failed or cancelled one goes back to pending with fresh attempts; 409 for pending, running, succeeded");
        tasks.MapDelete("/{id}", Delete).Produces(StatusCodes.Status204NoContent).ProducesProblem(404).ProducesProblem(409).WithName("TaskDelete")
            .WithSummary("Delete a task that is not running (409 when it is)");
        tasks.MapPost("/bulk", Bulk).Accepts<BulkActionRequest>("application/json").Produces<BulkActionResult>()
            .ProducesProblem(400).ProducesProblem(413).WithName("BulkAction")
            .WithSummary("Retry, cancel or delete the tasks of `ids`, or every task matching `filter`; `dry_run` only counts. Every other call is recorded (GET /api/v1/bulk-actions)");

        app.MapGet(Routes.BulkActions, BulkActionList).WithTags("Tasks").RequireScope(Scopes.Admin)
            .Produces<BulkActionListResponse>().ProducesProblem(400).WithName("BulkActionList")
            .WithSummary("The bulk-action audit log, newest first: who, when, what, the filter, how many matched and changed");

        app.MapGet(Routes.DeadLettersGroups, DeadLetterGroups).WithTags("Dead letters").RequireScope(Scopes.Admin)
            .Produces<DeadLetterGroups>().ProducesProblem(400).WithName("DeadLetterGroups")
            .WithSummary("Dead tasks counted by error type (of `queue` when given), with a sample message and the latest death");
    }

    private static async Task<IResult> Retry(string id, TaskEngine engine, CancellationToken ct)
    {
        var r = await engine.TaskRetry(id, ct);
        return r.Outcome switch
        {
            RetryOutcome.Retried => ApiResults.Ok(await engine.Get(id, ct)),
            RetryOutcome.WrongState => throw Conflict(id, $"task {id} is {r.State?.ToWire()}: only scheduled, failed and cancelled tasks can be retried; nothing changed"),
            _ => throw ProblemException.NotFound($"no task {id}"),
        };
    }

    private static async Task<IResult> Delete(string id, TaskEngine engine, CancellationToken ct)
    {
        var r = await engine.TaskDelete(id, ct);
        return r.Outcome switch
        {
            DeleteOutcome.Deleted => Results.NoContent(),
            DeleteOutcome.Running => throw Conflict(id, $"task {id} is running: cancel it first; nothing changed"),
            _ => throw ProblemException.NotFound($"no task {id}"),
        };
    }

    private static async Task<IResult> Bulk(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var request = await JsonBody.Read<BulkActionRequest>(ctx, options.MaxBodyBytes);
        return ApiResults.Ok(await engine.BulkAction(request, ctx.User.Actor(), ctx.RequestAborted));
    }

    private static async Task<IResult> BulkActionList([FromQuery] string? limit, TaskEngine engine, CancellationToken ct) =>
        ApiResults.Ok(new BulkActionListResponse(await engine.BulkActionList(QueryArgs.Int(limit, "limit", 50), ct)));

    private static async Task<IResult> DeadLetterGroups([FromQuery] string? queue, TaskEngine engine, CancellationToken ct) =>
        ApiResults.Ok(await engine.DeadLetterGroups(QueryArgs.Text(queue), ct));

    /// <summary>POST /dead-letters/{id}/retry: with no body, a plain redrive; with <c>{"args": ...}</c>, a redrive with those args.</summary>
    internal static async Task<IResult> DeadLetterRedrive(string id, HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        JsonElement? args = null;
        if (HasBody(ctx.Request))
        {
            using var doc = await JsonBody.ReadDocument(ctx, options.MaxBodyBytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw ProblemException.Validation("$", "the body must be a JSON object: {\"args\": <any JSON>}");
            if (doc.RootElement.TryGetProperty("args", out var a)) args = a.Clone();
        }
        var n = await engine.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: id) { Args = args }, ctx.RequestAborted);
        return n > 0 ? ApiResults.Ok(new CountResponse(n)) : throw ProblemException.NotFound($"no dead task {id}");
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static ProblemException Conflict(string id, string detail) =>
        new(StatusCodes.Status409Conflict, ProblemTypes.TaskStateConflict, "The task is not in a state this action applies to", detail);
}
