using System.Text.Json;
using Conveyor.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Conveyor.Server.OpenApi;

/// <summary>
/// The OpenAPI document describes the wire as it is: the host's JSON options mirror
/// <see cref="ConveyorJson.Options"/> (snake_case, enums as snake_case strings) so schemas carry the
/// real names, and durations are numbers of seconds, not .NET's "hh:mm:ss" strings.
/// </summary>
internal static class ApiDocs
{
    public static void MirrorConveyorJson(JsonSerializerOptions target)
    {
        var source = ConveyorJson.Options;
        target.PropertyNamingPolicy = source.PropertyNamingPolicy;
        target.DictionaryKeyPolicy = source.DictionaryKeyPolicy;
        target.DefaultIgnoreCondition = source.DefaultIgnoreCondition;
        foreach (var converter in source.Converters) target.Converters.Add(converter);
    }

    public static void Configure(OpenApiOptions o)
    {
        o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Conveyor";
            doc.Info.Description = "Distributed task queue broker. Errors are RFC 9457 problem details with a stable `type` under "
                + "https://conveyor.dev/problems/. Durations are seconds. Auth: `Authorization: Bearer <token>` or `X-API-Token`, "
                + "or the dashboard's session cookie (`/api/v1/session`; its actions send `X-CSRF-Token`).";
            return Task.CompletedTask;
        });
        o.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (type == typeof(TimeSpan) || type == typeof(TimeSpan?))
            {
                schema.Type = JsonSchemaType.Number;
                schema.Format = null;
                schema.Pattern = null;
                schema.Description = "seconds";
            }
            return Task.CompletedTask;
        });
    }
}
