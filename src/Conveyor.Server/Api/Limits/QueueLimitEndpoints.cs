using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Limits;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;

namespace Conveyor.Server.Api;

/// <summary>QueueLimitList, QueueLimitSet, QueueLimitDelete: a queue's rate and concurrency limits, enforced at lease time.</summary>
internal static class QueueLimitEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Queues + "/{name}/limits").WithTags("Queues");
        g.MapGet("", List)
            .RequireScope(Scopes.Submit, Scopes.Work).Produces<QueueLimitListResponse>().ProducesProblem(400).WithName("QueueLimitList")
            .WithSummary("The queue's rate and concurrency limits, each with its usage now (running, started in the window, waiting per key)");
        g.MapPut("/{limit}", Set)
            .RequireScope(Scopes.Admin).Produces<QueueLimitListResponse>().ProducesProblem(400).WithName("QueueLimitSet")
            .WithSummary("Add or replace a limit: at most N running and/or N started per interval, per key value or for the whole queue");
        g.MapDelete("/{limit}", Delete)
            .RequireScope(Scopes.Admin).Produces<QueueLimitListResponse>().ProducesProblem(404).WithName("QueueLimitDelete")
            .WithSummary("Remove a limit: the tasks waiting for it go back in line");
    }

    private static async Task<IResult> List(string name, TaskEngine engine, CancellationToken ct) =>
        ApiResults.Ok(new QueueLimitListResponse(name, await engine.QueueLimitList(name, ct)));

    private static async Task<IResult> Set(string name, string limit, HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var body = await JsonBody.Read<QueueLimitBody>(ctx, options.MaxBodyBytes);
        await engine.QueueLimitSet(name, new QueueLimit(limit, body.Key, body.Concurrency, body.Rate, body.Interval), ctx.RequestAborted);
        return ApiResults.Ok(new QueueLimitListResponse(name, await engine.QueueLimitList(name, ctx.RequestAborted)));
    }

    private static async Task<IResult> Delete(string name, string limit, TaskEngine engine, CancellationToken ct)
    {
        if (!await engine.QueueLimitDelete(name, limit, ct)) throw ProblemException.NotFound($"queue {name} has no limit {limit}");
        return ApiResults.Ok(new QueueLimitListResponse(name, await engine.QueueLimitList(name, ct)));
    }
}
