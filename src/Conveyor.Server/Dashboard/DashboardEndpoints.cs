using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Conveyor.Server.Dashboard;

/// <summary>
/// The dashboard: static files embedded in this assembly (<c>Dashboard/wwwroot/**</c>), served at
/// <c>/</c> (index.html), <c>/app/...</c> and <c>/vendor/...</c>. Anonymous like any static page:
/// every read and action it makes goes through the API, which checks the token or cookie.
/// No file is fingerprinted, so every answer says <c>no-cache</c> and carries a strong ETag: a
/// browser revalidates and gets 304 until the server is upgraded.
/// </summary>
internal static class DashboardEndpoints
{
    private const string ResourcePrefix = "dashboard/";

    private sealed record Asset(byte[] Body, string ContentType, string ETag);

    private static readonly Lazy<FrozenDictionary<string, Asset>> Assets = new(Load);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext ctx) => Serve(ctx, "index.html")).ExcludeFromDescription().WithName("Dashboard");
        app.MapGet("/index.html", (HttpContext ctx) => Serve(ctx, "index.html")).ExcludeFromDescription();
        app.MapGet("/app/{**path}", (string path, HttpContext ctx) => Serve(ctx, "app/" + path)).ExcludeFromDescription();
        app.MapGet("/vendor/{**path}", (string path, HttpContext ctx) => Serve(ctx, "vendor/" + path)).ExcludeFromDescription();
    }

    /// <summary>The embedded paths (for tests and diagnostics).</summary>
    internal static IEnumerable<string> Paths => Assets.Value.Keys;

    private static IResult Serve(HttpContext ctx, string path)
    {
        if (!Assets.Value.TryGetValue(path, out var asset)) return Results.NotFound();
        var headers = ctx.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        // The CSP, nosniff, Referrer-Policy and X-Frame-Options come from Http/SecurityHeaders, the one
        // place that sets them for every dashboard path.
        var match = ctx.Request.Headers.IfNoneMatch.ToString();
        if (match.Length > 0 && (match == "*" || match.Split(',').Any(m => m.Trim() == asset.ETag)))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(asset.Body, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardEndpoints).Assembly;
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".js"] = "text/javascript";
        types.Mappings[".md"] = "text/markdown";
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            var path = name[ResourcePrefix.Length..].Replace('\\', '/');
            var body = Read(assembly, name);
            var type = types.TryGetContentType(path, out var t) ? t : "application/octet-stream";
            if (type.StartsWith("text/", StringComparison.Ordinal) || type == "application/json") type += "; charset=utf-8";
            var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(body))[..20] + "\"").ToString();
            assets[path] = new Asset(body, type, etag);
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
