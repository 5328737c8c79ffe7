using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;

namespace Conveyor.Server.Compat;

/// <summary>
/// Seed 003's broker API (all behind X-API-Token when tokens are configured): /submit, /get (leases
/// one task; 204 when none is ready), /ack, /status/{id}, /dlq, /dlq/retry/{id}.
/// </summary>
internal static class Seed003Endpoints
{
    public const string WorkerId = "seed003";

    public static void Map(IEndpointRouteBuilder app)
    {
        var tag = CompatEndpoints.Tag;
        app.MapPost("/submit", Submit).RequireScope(Scopes.Submit).WithTags(tag).Accepts<Seed003SubmitRequest>("application/json")
            .Produces<TaskIdResponse>().ProducesProblem(400).WithSummary("Seed 003: submit {type, payload}").WithName("Seed003Submit");
        app.MapGet("/get", Get).RequireScope(Scopes.Work).WithTags(tag)
            .Produces<Seed003Task>().Produces(204).WithSummary("Seed 003: lease the next task (visibility timeout 30 s); 204 when none is ready").WithName("Seed003Lease");
        app.MapPost("/ack", Ack).RequireScope(Scopes.Work).WithTags(tag).Accepts<Seed003AckRequest>("application/json")
            .Produces<StatusMessage>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409)
            .WithSummary("Seed 003: acknowledge done (with result) or failed (with error: retried, then dead)").WithName("Seed003Ack");
        app.MapGet("/status/{id}", Status).RequireScope(Scopes.Submit, Scopes.Work).WithTags(tag)
            .Produces<Seed003Status>().ProducesProblem(404).WithSummary("Seed 003: a task's state").WithName("Seed003Status");
        app.MapGet("/dlq", Dlq).RequireScope(Scopes.Admin).WithTags(tag)
            .Produces<List<Seed003Status>>().WithSummary("Seed 003: the dead-letter queue (newest 1000)").WithName("Seed003DeadLetterList");
        app.MapPost("/dlq/retry/{id}", async (string id, TaskEngine engine, CancellationToken ct) =>
                await engine.DeadLetterRedrive(new DeadLetterRedriveParams(TaskId: id), ct) > 0
                    ? ApiResults.Ok(new StatusMessage("requeued", id)) : throw ProblemException.NotFound($"no dead task {id}"))
            .RequireScope(Scopes.Admin).WithTags(tag).Produces<StatusMessage>().ProducesProblem(404).WithSummary("Seed 003: re-queue a dead task").WithName("Seed003DeadLetterRedrive");
    }

    private static async Task<IResult> Submit(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<Seed003SubmitRequest>(ctx, options.MaxBodyBytes);
        if (r.Type is null) throw ProblemException.Validation("type", "type is required");
        var result = await engine.Submit(new TaskSubmission { Type = r.Type, Args = r.Payload, Queue = r.Queue, MaxAttempts = r.MaxAttempts }, ctx.RequestAborted);
        return ApiResults.Ok(new TaskIdResponse(result.Task.Id));
    }

    private static async Task<IResult> Get(HttpContext ctx, TaskEngine engine, ServerOptions options, CompatLeases leases)
    {
        var queue = ctx.Request.Query["queue"].ToString() is { Length: > 0 } q ? q : TaskDefaults.Queue;
        var leased = await engine.Lease(new TaskLeaseParams(WorkerId, [queue], 1, options.CompatLeaseDuration, TimeSpan.Zero), ctx.RequestAborted);
        if (leased.Count == 0) return Results.NoContent();
        var l = leased[0];
        leases.Remember(l.Task.Id, l.LeaseToken, l.LeaseDeadline);
        return ApiResults.Ok(new Seed003Task(l.Task.Id, l.Task.Type, l.Task.Args, l.LeaseToken));
    }

    private static async Task<IResult> Ack(HttpContext ctx, TaskEngine engine, ServerOptions options, CompatLeases leases)
    {
        var r = await JsonBody.Read<Seed003AckRequest>(ctx, options.MaxBodyBytes);
        if (string.IsNullOrEmpty(r.TaskId)) throw ProblemException.Validation("task_id", "task_id is required");
        if (r.Status is not ("done" or "failed")) throw ProblemException.Validation("status", "status must be 'done' or 'failed'");
        if (await engine.Get(r.TaskId, ctx.RequestAborted) is null) throw ProblemException.NotFound($"no task {r.TaskId}");
        var token = r.LeaseToken ?? leases.Take(r.TaskId) ?? throw ProblemException.StaleLease(r.TaskId);
        var outcome = r.Status == "done"
            ? (await engine.CompleteMany([new TaskCompleteParams(r.TaskId, token, r.Result)], ctx.RequestAborted))[0].Outcome
            : (await engine.FailMany([new TaskFailParams(r.TaskId, token, ErrorOf(r.Error))], ctx.RequestAborted))[0].Outcome;
        return outcome switch
        {
            AckOutcome.Ok => ApiResults.Ok(new StatusMessage("acknowledged", r.TaskId)),
            AckOutcome.NotFound => throw ProblemException.NotFound($"no task {r.TaskId}"),
            _ => throw ProblemException.StaleLease(r.TaskId),
        };
    }

    private static async Task<IResult> Status(string id, TaskEngine engine, CancellationToken ct) =>
        ApiResults.Ok(View(await engine.Get(id, ct) ?? throw ProblemException.NotFound($"no task {id}")));

    private static async Task<IResult> Dlq(TaskEngine engine, CancellationToken ct)
    {
        var page = await engine.List(new TaskListParams(State: TaskState.Failed, Limit: TaskListParams.MaxLimit), ct);
        return ApiResults.Ok(page.Items.Select(View).ToList());
    }

    private static Seed003Status View(TaskRecord t) => new(t.Id, t.Type, t.State.ToWire(), t.Attempt, t.Args, t.Result, t.Error?.Message);

    private static TaskError ErrorOf(JsonElement? error) => error switch
    {
        { ValueKind: JsonValueKind.String } s => new TaskError("error", s.GetString() ?? ""),
        { ValueKind: JsonValueKind.Null } or null => new TaskError("error", "the worker reported a failure"),
        { } other => new TaskError("error", other.GetRawText()),
    };
}
