using Conveyor.Server.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Conveyor.Server.OpenApi;

/// <summary>
/// What the OpenAPI document says about security and refusals, taken from each route's own metadata
/// (<see cref="RouteScope"/>), so it cannot drift from what the server enforces:
/// <list type="bullet">
/// <item>three security schemes: <c>bearer</c> (Authorization: Bearer), <c>apiToken</c>
/// (X-API-Token header) and <c>session</c> (the dashboard's cookie);</item>
/// <item>a route with a scope requires one of them (its description names the scopes) and declares
/// 401 and 403; a route without one says <c>security: [{}]</c>: anonymous allowed;</item>
/// <item>a route that reads a body declares 400, 413 and 415; a route that changes the store declares 507;
/// every route but the health probes declares 429 with <c>Retry-After</c> (when rate limits are on);</item>
/// <item>every refusal is <c>application/problem+json</c> (RFC 9457).</item>
/// </list>
/// </summary>
internal static class ApiSecurityDocs
{
    public const string Bearer = "bearer";
    public const string ApiToken = "apiToken";
    public const string Session = "session";
    private const string ProblemSchema = "ProblemDetails";

    public static void Configure(OpenApiOptions o)
    {
        o.AddOperationTransformer(async (operation, context, ct) =>
        {
            var doc = context.Document ?? throw new InvalidOperationException("the operation transformer runs without its document");
            AddSchemes(doc);
            if (doc.Components?.Schemas is not { } schemas || !schemas.ContainsKey(ProblemSchema))
                doc.AddComponent(ProblemSchema, await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), null, ct));

            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var scopes = metadata.OfType<RouteScope>().ToList();
            var method = context.Description.HttpMethod ?? "GET";
            var path = "/" + (context.Description.RelativePath ?? "").TrimStart('/');
            operation.Responses ??= [];
            if (scopes.Count > 0)
            {
                operation.Security = [.. new[] { Bearer, ApiToken, Session }.Select(s => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(s, doc)] = [] })];
                var needs = $"Needs a token with scope {string.Join(" and ", scopes)} (admin always passes).";
                operation.Description = string.IsNullOrEmpty(operation.Description) ? needs : operation.Description + "\n\n" + needs;
                Problem(operation, doc, 401, "No token, an unknown token, or an expired session");
                Problem(operation, doc, 403, "The token lacks the scope, or a cookie-authenticated change came without X-CSRF-Token");
            }
            else operation.Security = [new OpenApiSecurityRequirement()];

            if (context.Description.ParameterDescriptions.Any(p => p.Source.Id == "Body") || operation.RequestBody is not null)
            {
                Problem(operation, doc, 400, "The body is malformed or a field is not valid");
                Problem(operation, doc, 413, "The body, or a value in it, is over its size limit");
                Problem(operation, doc, 415, "The body is not sent as application/json");
            }
            if (!HttpMethods.IsGet(method) && scopes.Count > 0) Problem(operation, doc, 507, "The store has no room for the write (nothing was stored)");
            if (!path.StartsWith(Client.Protocol.Routes.Healthz, StringComparison.Ordinal) && !path.StartsWith(Client.Protocol.Routes.Readyz, StringComparison.Ordinal))
            {
                var tooMany = Problem(operation, doc, 429, "Over the rate limit of the token or the client address (when the server sets one)");
                if (tooMany is OpenApiResponse r)
                {
                    r.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    r.Headers.TryAdd("Retry-After", new OpenApiHeader { Description = "Seconds until the window reopens", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } });
                }
            }
            // Whatever a route declared with ProducesProblem: the problem media type, never application/json.
            foreach (var (code, response) in operation.Responses)
                if (code.Length == 3 && code[0] is '4' or '5' && response is OpenApiResponse { Content: { } content } && content.Remove("application/json", out var json) && !content.ContainsKey("application/problem+json"))
                    content["application/problem+json"] = json;
        });
        o.AddDocumentTransformer((doc, _, _) =>
        {
            AddSchemes(doc);
            // "http://127.0.0.1:8000/" → "http://127.0.0.1:8000": paths start with '/'.
            foreach (var server in doc.Servers ?? []) if (server.Url is { Length: > 1 } url && url.EndsWith('/')) server.Url = url.TrimEnd('/');
            return Task.CompletedTask;
        });
    }

    private static IOpenApiResponse Problem(OpenApiOperation operation, OpenApiDocument doc, int status, string description)
    {
        var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(code, out var existing)) return existing;
        var response = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, doc) } },
        };
        operation.Responses[code] = response;
        return response;
    }

    private static void AddSchemes(OpenApiDocument doc)
    {
        doc.Components ??= new OpenApiComponents();
        doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        doc.Components.SecuritySchemes.TryAdd(Bearer, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "A Conveyor token: `Authorization: Bearer <token>` (`conveyor token create`)",
        });
        doc.Components.SecuritySchemes.TryAdd(ApiToken, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = AuthSchemes.TokenHeader, Description = "The same token in the X-API-Token header",
        });
        doc.Components.SecuritySchemes.TryAdd(Session, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Cookie, Name = AuthSchemes.CookieName,
            Description = "The dashboard's session cookie from POST /api/v1/session; changes also send X-CSRF-Token",
        });
    }
}
