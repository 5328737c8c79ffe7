namespace Conveyor.Server.Http;

/// <summary>
/// Security headers, set before anything else answers so every response carries them (problems
/// included). Every response: <c>X-Content-Type-Options: nosniff</c>, <c>Referrer-Policy:
/// no-referrer</c>, <c>X-Frame-Options: DENY</c>. The dashboard's pages (<c>/</c>, <c>/index.html</c>,
/// <c>/app/*</c>, <c>/vendor/*</c>) also get a Content-Security-Policy that allows no inline script or
/// style and nothing from another origin. <c>/docs</c> (Scalar, which needs its own inline
/// configuration script) gets no CSP.
/// </summary>
internal sealed class SecurityHeaders(RequestDelegate next)
{
    public const string DashboardPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public Task InvokeAsync(HttpContext ctx)
    {
        var headers = ctx.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        if (IsDashboard(ctx.Request.Path)) headers.ContentSecurityPolicy = DashboardPolicy;
        return next(ctx);
    }

    public static bool IsDashboard(PathString path) =>
        path == "/" || path.Equals("/index.html", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/app", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/vendor", StringComparison.OrdinalIgnoreCase);
}
