using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;

namespace Conveyor.Server.Compat;

/// <summary>
/// The seeds' own requests, unchanged (docs/compat.md), each mapped onto the same engine operations as
/// /api/v1. Seed 001: POST /send-email (type email.send). Seed 002: POST /task, GET /task/{id} (type
/// fib). Seed 004: POST /tasks/submit, GET /tasks/{id} with Celery states (type heavy). Seed 003 is in
/// <see cref="Seed003Endpoints"/>.
/// </summary>
internal static class CompatEndpoints
{
    public const string Tag = "Compatibility (seeds)";
    public const int CeleryMaxAttempts = 4; // Celery's default max_retries=3, plus the first try

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/send-email", SendEmail).RequireScope(Scopes.Submit).WithTags(Tag).Accepts<SendEmailRequest>("application/json")
            .Produces<QueuedResponse>().ProducesProblem(400).WithSummary("Seed 001: queue an email.send task").WithName("SeedEmailSubmit");
        app.MapPost("/task", NumberTask).RequireScope(Scopes.Submit).WithTags(Tag).Accepts<NumberTaskRequest>("application/json")
            .Produces<TaskIdResponse>().ProducesProblem(400).WithSummary("Seed 002: queue fib(number)").WithName("SeedNumberSubmit");
        app.MapGet("/task/{id}", ManagerStatus).RequireScope(Scopes.Submit, Scopes.Work).WithTags(Tag)
            .Produces<ManagerStatusResponse>().ProducesProblem(404).WithSummary("Seed 002: pending | processing | complete (with result) | failed | cancelled").WithName("SeedNumberStatus");
        app.MapPost("/tasks/submit", CelerySubmit).RequireScope(Scopes.Submit).WithTags(Tag).Accepts<CelerySubmitRequest>("application/json")
            .Produces<CelerySubmitResponse>().ProducesProblem(400).WithSummary("Seed 004: queue a heavy task (retries with exponential backoff)").WithName("SeedCelerySubmit");
        app.MapGet("/tasks/{id}", CeleryStatus).RequireScope(Scopes.Submit, Scopes.Work).WithTags(Tag)
            .Produces<CeleryStatusResponse>().ProducesProblem(404).WithSummary("Seed 004: PENDING | STARTED | RETRY | SUCCESS | FAILURE | REVOKED").WithName("SeedCeleryStatus");
        app.MapGet("/tasks/status/{id}", CeleryStatus).RequireScope(Scopes.Submit, Scopes.Work).WithTags(Tag)
            .Produces<CeleryStatusResponse>().ProducesProblem(404).WithSummary("Seed 004: the same, under a /status path").WithName("SeedCeleryStatusAlias");
        Seed003Endpoints.Map(app);
    }

    private static async Task<IResult> SendEmail(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<SendEmailRequest>(ctx, options.MaxBodyBytes);
        if (r.RecipientEmail is not { Length: > 2 } to || !to.Contains('@')) throw ProblemException.Validation("recipient_email", "recipient_email must be an e-mail address");
        if (r.Subject is null) throw ProblemException.Validation("subject", "subject is required");
        if (r.Body is null) throw ProblemException.Validation("body", "body is required");
        var args = JsonSerializer.SerializeToElement(r, Conveyor.Json.ConveyorJson.Options);
        var result = await engine.Submit(new TaskSubmission { Type = "email.send", Args = args }, ctx.RequestAborted);
        return ApiResults.Ok(new QueuedResponse("queued", "Email task added to queue", result.Task.Id));
    }

    private static async Task<IResult> NumberTask(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<NumberTaskRequest>(ctx, options.MaxBodyBytes);
        if (r.Number is not { ValueKind: JsonValueKind.Number } num || !num.TryGetInt32(out var n) || n < 0 || n > 90)
            throw ProblemException.Validation("number", "number must be an integer from 0 to 90");
        var result = await engine.Submit(new TaskSubmission { Type = "fib", Args = JsonSerializer.SerializeToElement(new { n }) }, ctx.RequestAborted);
        return ApiResults.Ok(new TaskIdResponse(result.Task.Id));
    }

    private static async Task<IResult> ManagerStatus(string id, TaskEngine engine, CancellationToken ct)
    {
        var t = await engine.Get(id, ct) ?? throw ProblemException.NotFound($"no task {id}");
        return ApiResults.Ok(t.State switch
        {
            TaskState.Succeeded => new ManagerStatusResponse("complete", t.Result),
            TaskState.Running => new ManagerStatusResponse("processing"),
            TaskState.Failed => new ManagerStatusResponse("failed", Error: t.Error?.Message),
            TaskState.Cancelled => new ManagerStatusResponse("cancelled"),
            _ => new ManagerStatusResponse("pending"),
        });
    }

    private static async Task<IResult> CelerySubmit(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<CelerySubmitRequest>(ctx, options.MaxBodyBytes);
        if (r.Data is null) throw ProblemException.Validation("data", "data is required");
        var args = JsonSerializer.SerializeToElement(new { data = r.Data });
        var result = await engine.Submit(new TaskSubmission { Type = "heavy", Args = args, MaxAttempts = CeleryMaxAttempts, Backoff = BackoffPolicy.Default }, ctx.RequestAborted);
        return ApiResults.Ok(new CelerySubmitResponse(result.Task.Id, "submitted"));
    }

    private static async Task<IResult> CeleryStatus(string id, TaskEngine engine, CancellationToken ct)
    {
        var t = await engine.Get(id, ct) ?? throw ProblemException.NotFound($"no task {id}");
        return ApiResults.Ok(new CeleryStatusResponse(t.Id, Celery(t), t.State switch
        {
            TaskState.Succeeded => t.Result,
            TaskState.Failed or TaskState.Scheduled when t.Error is not null => JsonSerializer.SerializeToElement(t.Error.Message),
            _ => null,
        }));
    }

    /// <summary>DESIGN §2: PENDING = pending/scheduled, STARTED = running, RETRY = waiting again after a failed attempt, SUCCESS, FAILURE.</summary>
    internal static string Celery(TaskRecord t) => t.State switch
    {
        TaskState.Running => "STARTED",
        TaskState.Scheduled or TaskState.Pending when t.Attempt > 0 => "RETRY",
        TaskState.Succeeded => "SUCCESS",
        TaskState.Failed => "FAILURE",
        TaskState.Cancelled => "REVOKED",
        _ => "PENDING",
    };
}
