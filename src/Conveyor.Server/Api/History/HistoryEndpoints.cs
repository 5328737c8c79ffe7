using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Microsoft.AspNetCore.Mvc;

namespace Conveyor.Server.Api;

/// <summary>HistoryList: succeeded and failed attempts per minute, kept by the store (the dashboard's overview chart).</summary>
internal static class HistoryEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Routes.History, List).WithTags("Queues")
            .RequireScope(Scopes.Submit, Scopes.Work).Produces<HistoryListResponse>().ProducesProblem(400).WithName("HistoryList")
            .WithSummary("Succeeded and failed attempts per minute, oldest first, of one queue or of all (minutes 1..10080, default 60)");
    }

    private static async Task<IResult> List([FromQuery] string? queue, [FromQuery] string? minutes, TaskEngine engine, CancellationToken ct)
    {
        var buckets = await engine.HistoryList(QueryArgs.Text(queue), QueryArgs.Int(minutes, "minutes", 60), ct);
        return ApiResults.Ok(new HistoryListResponse(buckets));
    }
}
