namespace Conveyor.Server.Auth;

/// <summary>
/// Whether a request was sent by a browser page of another origin: its <c>Origin</c> header names an
/// origin other than the server's own (scheme and Host of the request) or
/// <c>Sec-Fetch-Site: cross-site</c>. Origins listed in <see cref="ServerOptions.CorsOrigins"/> are
/// allowed. Requests without either header (curl, the .NET client, workers) are not cross-origin.
/// </summary>
internal static class BrowserOrigin
{
    public static bool IsForeign(HttpRequest request, ServerOptions server)
    {
        if (IsCorsAllowed(request, server)) return false;
        var origin = request.Headers.Origin.ToString();
        return IsCrossSiteFetch(request)
            || (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Only what the browser itself says (<c>Sec-Fetch-Site: cross-site</c>), for a server that may sit
    /// behind a proxy that rewrites the scheme or Host, where <c>Origin</c> cannot be compared with them.
    /// </summary>
    public static bool IsCrossSite(HttpRequest request, ServerOptions server) => !IsCorsAllowed(request, server) && IsCrossSiteFetch(request);

    private static bool IsCrossSiteFetch(HttpRequest request) =>
        string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "cross-site", StringComparison.OrdinalIgnoreCase);

    private static bool IsCorsAllowed(HttpRequest request, ServerOptions server)
    {
        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && server.CorsOrigins.Any(o => string.Equals(o.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Unsafe methods change state; GET/HEAD/OPTIONS/TRACE must not.</summary>
    public static bool IsUnsafe(string method) =>
        !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method) && !HttpMethods.IsTrace(method);
}
