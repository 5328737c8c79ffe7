using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Http;

namespace Conveyor.Server.Api;

/// <summary>
/// Liveness and readiness. Both are anonymous by design: load balancers and orchestrators probe them
/// without credentials, and they reveal nothing beyond "up", the store's kind and, when not ready,
/// why (<c>store_unreachable</c>, <c>eviction_policy</c>, <c>disk_full</c>) in a sentence an operator can act on.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Routes.Healthz, () => ApiResults.Ok(new HealthResponse("ok")))
            .WithTags("Health").Produces<HealthResponse>().WithName("Healthz").WithSummary("Liveness: the process answers");
        app.MapGet(Routes.Readyz, async (TaskEngine engine, CancellationToken ct) =>
            {
                var readiness = await engine.ReadinessCheck(ct);
                return readiness.IsReady
                    ? ApiResults.Ok(new HealthResponse("ready", engine.Store.Name))
                    : Results.Json(new HealthResponse("unavailable", engine.Store.Name, readiness.Reason, readiness.Detail), Conveyor.Json.ConveyorJson.Options, statusCode: 503);
            })
            .WithTags("Health").Produces<HealthResponse>().Produces<HealthResponse>(503).WithName("Readyz")
            .WithSummary("Readiness: the store is reachable and can keep what it acknowledges (503 with a reason when not)");
    }
}
