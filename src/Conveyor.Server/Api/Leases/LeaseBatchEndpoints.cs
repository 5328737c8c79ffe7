using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Store;

namespace Conveyor.Server.Api;

/// <summary>
/// Batch worker routes (beyond DESIGN §5, for throughput): TaskCompleteMany, TaskFailMany,
/// LeaseExtendMany, TaskReleaseMany. Each answers 200 with one outcome per item, in order; a stale
/// lease is an item outcome ("stale_lease"), not a request failure, so one late item does not sink
/// the batch.
/// </summary>
internal static class LeaseBatchEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Leases).WithTags("Workers").RequireScope(Scopes.Work);
        g.MapPost("/complete", CompleteMany).Accepts<CompleteManyRequest>("application/json").Produces<AckResultsResponse>()
            .ProducesProblem(400).WithName("TaskCompleteMany").WithSummary("Complete many leased tasks: one outcome per item");
        g.MapPost("/fail", FailMany).Accepts<FailManyRequest>("application/json").Produces<AckResultsResponse>()
            .ProducesProblem(400).WithName("TaskFailMany").WithSummary("Fail many attempts: one outcome per item");
        g.MapPost("/heartbeat", HeartbeatMany).Accepts<HeartbeatManyRequest>("application/json").Produces<HeartbeatResultsResponse>()
            .ProducesProblem(400).WithName("LeaseExtendMany").WithSummary("Extend many leases (one heartbeat for all running tasks)");
        g.MapPost("/release", ReleaseMany).Accepts<ReleaseManyRequest>("application/json").Produces<AckResultsResponse>()
            .ProducesProblem(400).WithName("TaskReleaseMany").WithSummary("Hand leased tasks back to pending without charging the attempt (graceful drain)");
    }

    private static async Task<IResult> CompleteMany(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<CompleteManyRequest>(ctx, options.MaxBatchBodyBytes);
        var items = Items(r.Items);
        for (var i = 0; i < items.Count; i++) Ids(items[i].TaskId, items[i].LeaseToken, i);
        return ApiResults.Ok(new AckResultsResponse(await engine.CompleteMany(items, ctx.RequestAborted)));
    }

    private static async Task<IResult> FailMany(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<FailManyRequest>(ctx, options.MaxBatchBodyBytes);
        var items = Items(r.Items);
        for (var i = 0; i < items.Count; i++)
        {
            Ids(items[i].TaskId, items[i].LeaseToken, i);
            Checks.Error(items[i].Error, $"items[{i}].error");
        }
        return ApiResults.Ok(new AckResultsResponse(await engine.FailMany(items, ctx.RequestAborted)));
    }

    private static async Task<IResult> HeartbeatMany(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<HeartbeatManyRequest>(ctx, options.MaxBatchBodyBytes);
        var items = Items(r.Items);
        for (var i = 0; i < items.Count; i++) Ids(items[i].TaskId, items[i].LeaseToken, i);
        return ApiResults.Ok(new HeartbeatResultsResponse(await engine.ExtendMany(items, ctx.RequestAborted)));
    }

    private static async Task<IResult> ReleaseMany(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var r = await JsonBody.Read<ReleaseManyRequest>(ctx, options.MaxBatchBodyBytes);
        var items = Items(r.Items);
        for (var i = 0; i < items.Count; i++) Ids(items[i].TaskId, items[i].LeaseToken, i);
        return ApiResults.Ok(new AckResultsResponse(await engine.ReleaseMany(items, ctx.RequestAborted)));
    }

    private static IReadOnlyList<T> Items<T>(IReadOnlyList<T>? items)
    {
        if (items is null) throw ProblemException.Validation("items", "items is required: a list");
        if (items.Count > Model.TaskDefaults.MaxLeaseBatch)
            throw ProblemException.Validation("items", $"at most {Model.TaskDefaults.MaxLeaseBatch} items per request; got {items.Count}");
        for (var i = 0; i < items.Count; i++)
            if (items[i] is null) throw ProblemException.Validation($"items[{i}]", "an item must be an object");
        return items;
    }

    private static void Ids(string? taskId, string? leaseToken, int i)
    {
        if (string.IsNullOrEmpty(taskId)) throw ProblemException.Validation($"items[{i}].task_id", "task_id is required");
        if (string.IsNullOrEmpty(leaseToken)) throw ProblemException.Validation($"items[{i}].lease_token", "lease_token is required");
    }
}
