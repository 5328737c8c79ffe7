using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;
using Microsoft.AspNetCore.Mvc;

namespace Conveyor.Server.Api;

/// <summary>Producer routes: TaskSubmit, TaskGet, TaskWait, TaskList, TaskCancel. Thin: every rule is in <see cref="TaskEngine"/>.</summary>
internal static class TaskEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Tasks).WithTags("Tasks");

        g.MapPost("", Submit).RequireScope(Scopes.Submit)
            .Accepts<TaskSubmission>("application/json")
            .Produces<TaskRecord>(StatusCodes.Status201Created).Produces<TaskRecord>(StatusCodes.Status200OK)
            .ProducesProblem(400).ProducesProblem(413).ProducesProblem(507).WithName("TaskSubmit")
            .WithSummary("Submit one task (201; 200 with the existing task for a repeated idempotency key)");

        g.MapPost("/batch", SubmitBatch).RequireScope(Scopes.Submit)
            .Accepts<SubmitBatchRequest>("application/json").Produces<SubmitBatchResponse>()
            .ProducesProblem(400).ProducesProblem(413).ProducesProblem(507).WithName("TaskSubmitMany")
            .WithSummary("Submit many tasks, all or nothing");

        g.MapGet("/{id}", Get).RequireScope(Scopes.Submit, Scopes.Work)
            .Produces<TaskRecord>().ProducesProblem(404).WithName("TaskGet").WithSummary("A task with its state, result, error, attempts and progress");

        g.MapGet("/{id}/wait", Wait).RequireScope(Scopes.Submit, Scopes.Work)
            .Produces<TaskRecord>().ProducesProblem(400).ProducesProblem(404).WithName("TaskWait")
            .WithSummary("Long-poll until the task is terminal or `timeout` seconds (default 30, max 300) pass; answers the task either way");

        g.MapGet("", List).RequireScope(Scopes.Submit, Scopes.Work)
            .Produces<TaskPage>().ProducesProblem(400).WithName("TaskList")
            .WithSummary("Browse and search tasks newest first; follow next_cursor for the next page (a search page may hold fewer items, even none, and a next_cursor)");

        g.MapPost("/{id}/cancel", Cancel).RequireScope(Scopes.Submit)
            .Produces<CancelResult>().ProducesProblem(404).WithName("TaskCancel")
            .WithSummary("Cancel: pending/scheduled at once, running via the worker's next heartbeat");
    }

    private static async Task<IResult> Submit(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var submission = await JsonBody.Read<TaskSubmission>(ctx, options.MaxBodyBytes);
        var result = await engine.Submit(submission, ctx.RequestAborted);
        return result.Created ? ApiResults.Created(result.Task, Routes.Task(result.Task.Id)) : ApiResults.Ok(result.Task);
    }

    private static async Task<IResult> SubmitBatch(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var request = await JsonBody.Read<SubmitBatchRequest>(ctx, options.MaxBatchBodyBytes);
        if (request.Tasks is null) throw ProblemException.Validation("tasks", "tasks is required: a list of task submissions");
        var results = await engine.SubmitMany(request.Tasks, ctx.RequestAborted);
        return ApiResults.Ok(new SubmitBatchResponse(results));
    }

    private static async Task<IResult> Get(string id, TaskEngine engine, CancellationToken ct) =>
        await engine.Get(id, ct) is { } task ? ApiResults.Ok(task) : throw ProblemException.NotFound($"no task {id}");

    private static async Task<IResult> Wait(string id, [FromQuery] string? timeout, HttpContext ctx, TaskEngine engine)
    {
        var span = QueryArgs.Seconds(timeout, "timeout", TimeSpan.FromSeconds(30));
        var task = await LongPoll.Run(ctx, ct => engine.Wait(id, span, ct), () => null);
        task ??= await engine.Get(id, ctx.RequestAborted); // the server is stopping: answer the task as it is now
        return task is not null ? ApiResults.Ok(task) : throw ProblemException.NotFound($"no task {id}");
    }

    private static async Task<IResult> List([FromQuery] string? state, [FromQuery] string? queue, [FromQuery] string? type,
        [FromQuery] string? limit, [FromQuery] string? cursor, [AsParameters] TaskSearchQuery search, TaskEngine engine, CancellationToken ct)
    {
        var query = new TaskListParams(QueryArgs.State(state), QueryArgs.Text(queue), QueryArgs.Text(type),
            QueryArgs.Int(limit, "limit", 50), QueryArgs.Text(cursor));
        return ApiResults.Ok(await engine.List(search.Apply(query), ct));
    }

    private static async Task<IResult> Cancel(string id, TaskEngine engine, CancellationToken ct)
    {
        var result = await engine.Cancel(id, ct);
        return result.Outcome == CancelOutcome.NotFound ? throw ProblemException.NotFound($"no task {id}") : ApiResults.Ok(result);
    }
}
