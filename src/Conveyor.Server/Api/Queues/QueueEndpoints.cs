using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Conveyor.Server.Observability;

namespace Conveyor.Server.Api;

/// <summary>QueueList, QueuePause, QueueResume.</summary>
internal static class QueueEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Queues).WithTags("Queues");
        g.MapGet("", List)
            .RequireScope(Scopes.Submit, Scopes.Work).Produces<QueueListResponse>().WithName("QueueList")
            .WithSummary("Every queue with its counts by state, whether it is paused, and succeeded/failed per minute");
        g.MapPost("/{name}/pause", async (string name, TaskEngine engine, CancellationToken ct) =>
            {
                await engine.QueuePause(name, ct);
                return ApiResults.Ok(await Find(engine, name, ct));
            })
            .RequireScope(Scopes.Admin).Produces<Store.QueueInfo>().ProducesProblem(400).WithName("QueuePause")
            .WithSummary("Stop leasing from a queue (it still accepts tasks)");
        g.MapPost("/{name}/resume", async (string name, TaskEngine engine, CancellationToken ct) =>
            {
                await engine.QueueResume(name, ct);
                return ApiResults.Ok(await Find(engine, name, ct));
            })
            .RequireScope(Scopes.Admin).Produces<Store.QueueInfo>().ProducesProblem(400).WithName("QueueResume")
            .WithSummary("Lease from a paused queue again");
    }

    private static async Task<IResult> List(TaskEngine engine, QueueRates rates, ServerOptions options, CancellationToken ct)
    {
        // workers: live workers whose queues include this one (the dashboard warns when 0 with work pending).
        var workers = (await engine.WorkerList(options.WorkerLiveWithin, ct)).Live;
        var views = (await engine.QueueList(ct)).Select(q =>
        {
            var (ok, failed) = rates.PerMinute(q.Name);
            return new QueueView(q.Name, q.Paused, q.Pending, q.Scheduled, q.Running, q.Succeeded, q.Failed, q.Cancelled, ok, failed,
                q.OldestPendingAt, workers.Count(w => w.Queues.Contains(q.Name)), q.Expired);
        }).ToList();
        return ApiResults.Ok(new QueueListResponse(views));
    }

    private static async Task<Store.QueueInfo> Find(TaskEngine engine, string name, CancellationToken ct) =>
        (await engine.QueueList(ct)).FirstOrDefault(q => q.Name == name) ?? new Store.QueueInfo(name, false, 0, 0, 0, 0, 0, 0);
}
