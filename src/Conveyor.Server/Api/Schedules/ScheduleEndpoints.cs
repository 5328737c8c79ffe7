using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;

namespace Conveyor.Server.Api;

/// <summary>
/// Recurring tasks: ScheduleList, ScheduleGet (any token), ScheduleUpsert, ScheduleDelete,
/// SchedulePause, ScheduleResume, ScheduleRunNow (admin). Thin: every rule is in <see cref="TaskEngine"/>.
/// </summary>
internal static class ScheduleEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Schedules).WithTags("Schedules");
        g.MapGet("", async (TaskEngine engine, CancellationToken ct) =>
                ApiResults.Ok(new ScheduleListResponse([.. (await engine.ScheduleList(ct)).Select(ScheduleView.From)])))
            .RequireScope(Scopes.Submit, Scopes.Work).Produces<ScheduleListResponse>().WithName("ScheduleList")
            .WithSummary("Every schedule with its definition, next run and last run");
        g.MapGet("/{name}", async (string name, TaskEngine engine, CancellationToken ct) =>
                ApiResults.Ok(ScheduleView.From(await engine.ScheduleGet(name, ct) ?? throw Missing(name))))
            .RequireScope(Scopes.Submit, Scopes.Work).Produces<ScheduleView>().ProducesProblem(404).WithName("ScheduleGet")
            .WithSummary("One schedule");
        g.MapPut("/{name}", Upsert)
            .RequireScope(Scopes.Admin).Accepts<ScheduleRequest>("application/json").Produces<ScheduleView>().Produces<ScheduleView>(StatusCodes.Status201Created)
            .ProducesProblem(400).WithName("ScheduleUpsert")
            .WithSummary("Create or replace a schedule: a cron expression (5 fields, or 6 with seconds) or an interval, a time zone, the task, the misfire policy");
        g.MapDelete("/{name}", async (string name, TaskEngine engine, CancellationToken ct) =>
                await engine.ScheduleDelete(name, ct) ? Results.NoContent() : throw Missing(name))
            .RequireScope(Scopes.Admin).Produces(StatusCodes.Status204NoContent).ProducesProblem(404).WithName("ScheduleDelete")
            .WithSummary("Remove a schedule (the tasks it submitted stay)");
        g.MapPost("/{name}/pause", async (string name, TaskEngine engine, CancellationToken ct) =>
                ApiResults.Ok(ScheduleView.From(await engine.SchedulePause(name, ct) ?? throw Missing(name))))
            .RequireScope(Scopes.Admin).Produces<ScheduleView>().ProducesProblem(404).WithName("SchedulePause")
            .WithSummary("Stop submitting a schedule's ticks until it is resumed");
        g.MapPost("/{name}/resume", async (string name, TaskEngine engine, CancellationToken ct) =>
                ApiResults.Ok(ScheduleView.From(await engine.ScheduleResume(name, ct) ?? throw Missing(name))))
            .RequireScope(Scopes.Admin).Produces<ScheduleView>().ProducesProblem(404).WithName("ScheduleResume")
            .WithSummary("Resume a paused schedule at its next tick (ticks missed while paused are not submitted)");
        g.MapPost("/{name}/run", async (string name, TaskEngine engine, CancellationToken ct) =>
            {
                var run = await engine.ScheduleRunNow(name, ct) ?? throw Missing(name);
                return ApiResults.Created(run.Task, Routes.Task(run.Task.Id));
            })
            .RequireScope(Scopes.Admin).Produces<TaskRecord>(StatusCodes.Status201Created).ProducesProblem(404).WithName("ScheduleRunNow")
            .WithSummary("Submit the schedule's task now, beside its ticks (its next run is unchanged)");
    }

    private static ProblemException Missing(string name) => ProblemException.NotFound($"no schedule named '{name}'");

    private static async Task<IResult> Upsert(string name, HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var body = await JsonBody.Read<ScheduleRequest>(ctx, options.MaxBodyBytes);
        if (body.Name is not null && body.Name != name) throw ProblemException.Validation("name", $"the body names '{body.Name}' but the path '{name}'");
        var (s, created) = await engine.ScheduleUpsert(Definition(body, name), ctx.RequestAborted);
        return created ? ApiResults.Created(ScheduleView.From(s), Routes.Schedule(s.Name)) : ApiResults.Ok(ScheduleView.From(s));
    }

    private static Schedules.ScheduleDefinition Definition(ScheduleRequest body, string name) =>
        body.Task is null ? throw ProblemException.Validation("task", "give the task to submit (at least its type)") : body.ToDefinition(name);
}
