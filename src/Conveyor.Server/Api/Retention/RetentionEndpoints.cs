using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Retention;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;

namespace Conveyor.Server.Api;

/// <summary>
/// RetentionGet / RetentionSet: the retention policy kept in the store, so every broker and direct
/// worker applies the same; while none is stored, this broker's configured one (ServerOptions.Retention).
/// </summary>
internal static class RetentionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Routes.Retention, Get).WithTags("Retention")
            .RequireScope(Scopes.Submit, Scopes.Work).Produces<RetentionResponse>().WithName("RetentionGet")
            .WithSummary("The retention policy in force (per queue and terminal state, by age and count) and where it comes from");
        app.MapPut(Routes.Retention, Set).WithTags("Retention")
            .RequireScope(Scopes.Admin).Produces<RetentionResponse>().ProducesProblem(400).WithName("RetentionSet")
            .WithSummary("Store a retention policy that every broker and worker on the store applies");
        app.MapDelete(Routes.Retention, Clear).WithTags("Retention")
            .RequireScope(Scopes.Admin).Produces<RetentionResponse>().WithName("RetentionClear")
            .WithSummary("Remove the stored retention policy: each process applies its configured one again");
    }

    private static async Task<IResult> Get(TaskEngine engine, ServerOptions options, CancellationToken ct) =>
        ApiResults.Ok(await InForce(engine, options, ct));

    private static async Task<IResult> Set(HttpContext ctx, TaskEngine engine, ServerOptions options)
    {
        var document = await JsonBody.Read<RetentionDocument>(ctx, options.MaxBodyBytes);
        await engine.RetentionSet(document.ToPolicy(), ctx.RequestAborted);
        return ApiResults.Ok(await InForce(engine, options, ctx.RequestAborted));
    }

    private static async Task<IResult> Clear(TaskEngine engine, ServerOptions options, CancellationToken ct)
    {
        await engine.RetentionSet(null, ct);
        return ApiResults.Ok(await InForce(engine, options, ct));
    }

    private static async Task<RetentionResponse> InForce(TaskEngine engine, ServerOptions options, CancellationToken ct) =>
        await engine.RetentionGet(ct) is { } stored
            ? new RetentionResponse(RetentionResponse.FromStore, RetentionDocument.From(stored))
            : new RetentionResponse(RetentionResponse.FromConfiguration, RetentionDocument.From(options.Retention.ToPolicy()));
}
