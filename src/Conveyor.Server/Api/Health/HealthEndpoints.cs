using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Server.Http;

namespace Conveyor.Server.Api;

/// <summary>
/// Liveness and readiness. Both are anonymous by design: load balancers and orchestrators probe them
/// without credentials, and they reveal nothing beyond "up" and the store's kind.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Routes.Healthz, () => ApiResults.Ok(new HealthResponse("ok")))
            .WithTags("Health").Produces<HealthResponse>().WithName("Healthz").WithSummary("Liveness: the process answers");
        app.MapGet(Routes.Readyz, async (TaskEngine engine, CancellationToken ct) =>
            {
                bool up;
                try { up = await engine.Store.Ping(ct); }
                catch (Exception) when (!ct.IsCancellationRequested) { up = false; }
                return up
                    ? ApiResults.Ok(new HealthResponse("ready", engine.Store.Name))
                    : Results.Json(new HealthResponse("unavailable", engine.Store.Name), Conveyor.Json.ConveyorJson.Options, statusCode: 503);
            })
            .WithTags("Health").Produces<HealthResponse>().Produces<HealthResponse>(503).WithName("Readyz")
            .WithSummary("Readiness: the store is reachable (503 when not)");
    }
}
