using Conveyor.Json;

namespace Conveyor.Server.Http;

/// <summary>Results in the Conveyor JSON dialect (ConveyorJson.Options), whatever the host's defaults are.</summary>
internal static class ApiResults
{
    public static IResult Ok<T>(T value) => Results.Json(value, ConveyorJson.Options);

    public static IResult Created<T>(T value, string location) => new CreatedJson<T>(value, location);

    private sealed class CreatedJson<T>(T value, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext ctx)
        {
            ctx.Response.StatusCode = StatusCodes.Status201Created;
            ctx.Response.Headers.Location = location;
            return ctx.Response.WriteAsJsonAsync(value, ConveyorJson.Options, ctx.RequestAborted);
        }
    }
}
