using System.Text;
using Conveyor.Server.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Conveyor.Server.Tests.Security;

/// <summary>One route of a running broker, as its endpoint data source lists it, with the scope its metadata declares.</summary>
internal sealed record RouteRow(string Method, string Pattern, string? Name, IReadOnlyList<RouteScope> Scopes, RouteEndpoint Endpoint)
{
    /// <summary>"submit or work", "admin"..., or "none" for an anonymous route.</summary>
    public string ScopeText => Scopes.Count == 0 ? "none" : string.Join(" and ", Scopes.Select(s => s.ToString()));
}

/// <summary>The route table of a real broker (EndpointDataSource), and the anonymous allow-list.</summary>
internal static class RouteTable
{
    public static IReadOnlyList<RouteRow> Of(WebApplication app)
    {
        var rows = new List<RouteRow>();
        foreach (var endpoint in ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            // A group's "" route reads "/api/v1/tasks/": the path it answers (and the OpenAPI path) has no trailing slash.
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            foreach (var method in methods)
                rows.Add(new RouteRow(method, pattern, endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
                    [.. endpoint.Metadata.OfType<RouteScope>()], endpoint));
        }
        return [.. rows.DistinctBy(r => (r.Method, r.Pattern)).OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The only routes that may answer without a token: health probes, the dashboard's static files,
    /// the session routes (sign-in), the OpenAPI document and its docs page, and /metrics when
    /// <see cref="ServerOptions.PublicMetrics"/> says so. A route with no scope that is not here fails the matrix.
    /// </summary>
    public static bool MayBeAnonymous(RouteRow row, ServerOptions options) => row.Pattern switch
    {
        "/healthz" or "/readyz" => true,
        "/" or "/index.html" or "/app/{**path}" or "/vendor/{**path}" => row.Method == "GET",
        "/api/v1/session" => true,
        "/openapi/{documentName}.json" => row.Method == "GET",
        _ when row.Pattern == "/docs" || row.Pattern.StartsWith("/docs/", StringComparison.Ordinal) => row.Method == "GET",
        "/metrics" => options.PublicMetrics,
        _ => false,
    };

    /// <summary>A request path for the pattern, with a sample value for every parameter.</summary>
    public static string SamplePath(RouteRow row)
    {
        var sb = new StringBuilder();
        foreach (var segment in row.Endpoint.RoutePattern.PathSegments)
        {
            sb.Append('/');
            foreach (var part in segment.Parts)
                sb.Append(part switch
                {
                    RoutePatternLiteralPart l => l.Content,
                    RoutePatternSeparatorPart s => s.Content,
                    RoutePatternParameterPart p => Sample(row.Pattern, p),
                    _ => "",
                });
        }
        var path = sb.Length == 0 ? "/" : sb.ToString();
        return row.Pattern.EndsWith("/wait", StringComparison.Ordinal) ? path + "?timeout=0" : path;
    }

    private static string Sample(string pattern, RoutePatternParameterPart p) => p.Name switch
    {
        "id" => "0190b3a4-0000-7000-8000-000000000000",
        "name" => "default",
        "documentName" => "v1",
        "path" when pattern.StartsWith("/app/", StringComparison.Ordinal) => "main.js",
        "path" when pattern.StartsWith("/vendor/", StringComparison.Ordinal) => "uplot/uPlot.min.css",
        _ when pattern.StartsWith("/docs", StringComparison.Ordinal) => "scalar.js",
        _ => "sample",
    };

    /// <summary>The table docs/http-api.md carries between its route-scopes markers (generated from the same rows).</summary>
    public static string Markdown(IEnumerable<RouteRow> rows)
    {
        var sb = new StringBuilder("| method | route | operation | scope (admin always passes) |\n| --- | --- | --- | --- |\n");
        foreach (var r in rows) sb.Append($"| {r.Method} | `{r.Pattern}` | {r.Name ?? "—"} | {(r.Scopes.Count == 0 ? "none" : "`" + r.ScopeText + "`")} |\n");
        return sb.ToString();
    }
}
