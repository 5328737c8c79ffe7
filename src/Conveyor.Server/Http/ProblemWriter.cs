using System.Diagnostics;
using System.Text.Json;
using Conveyor.Client.Protocol;
using Conveyor.Json;

namespace Conveyor.Server.Http;

/// <summary>Writes <c>application/problem+json</c> in the Conveyor dialect (snake_case, stable types).</summary>
internal static class ProblemWriter
{
    public static Task Write(HttpContext ctx, int status, string type, string title, string? detail = null, IReadOnlyList<FieldError>? errors = null)
    {
        var problem = new Problem
        {
            Type = type,
            Title = title,
            Status = status,
            Detail = detail,
            Instance = ctx.Request.Path,
            Errors = errors,
            TraceId = Activity.Current?.Id ?? ctx.TraceIdentifier,
        };
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/problem+json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(problem, ConveyorJson.Options), ctx.RequestAborted);
    }

    public static Task Write(HttpContext ctx, ProblemException p) => Write(ctx, p.Status, p.Type, p.Title, p.Detail, p.Errors);
}
