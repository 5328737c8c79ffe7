using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Http;

namespace Conveyor.Server.Auth;

/// <summary>
/// The open server's walls. With no token configured everything is allowed, which is safe only while
/// nothing but this machine's own programs can reach it. <see cref="Hosting.BindGuard"/> refuses to
/// listen beyond loopback; this checks every request as well, because a browser on this machine is
/// a door to the web:
/// <list type="bullet">
/// <item>the connection's own peer address must be loopback (so a Kestrel endpoint bound elsewhere
/// through configuration still serves no one else). <c>X-Forwarded-For</c> and <c>Forwarded</c> are
/// never read: the server does not use the forwarded-headers middleware, so a remote peer cannot
/// claim to be 127.0.0.1;</item>
/// <item>the Host must be a loopback name (localhost, *.localhost, 127.x, [::1]): a page whose own
/// domain was re-pointed at 127.0.0.1 (DNS rebinding) is refused;</item>
/// <item>a request that is not GET/HEAD from a page of another origin is refused (403
/// <c>cross-origin</c>), unless the origin is listed in <see cref="ServerOptions.CorsOrigins"/>.</item>
/// </list>
/// With tokens configured this guard stands aside: tokens, the cookie's SameSite and anti-forgery decide.
/// </summary>
internal sealed class OpenServerGuard(RequestDelegate next, ServerOptions server)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        if (server.Tokens.Count > 0) return next(ctx);
        if (ctx.Connection.RemoteIpAddress is not { } peer || !IPAddress.IsLoopback(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer))
            return ProblemWriter.Write(ctx, 403, ProblemTypes.Forbidden, "Only this machine may call an open server",
                "this server has no tokens configured, so it answers loopback connections only; configure tokens to serve other hosts");
        if (!IsLoopbackHost(ctx.Request.Host.Host))
            return ProblemWriter.Write(ctx, 403, ProblemTypes.CrossOrigin, "The host name is not loopback",
                $"an open server answers only requests addressed to localhost or a loopback address, not '{ctx.Request.Host.Host}'");
        if (BrowserOrigin.IsUnsafe(ctx.Request.Method) && BrowserOrigin.IsForeign(ctx.Request, server))
            return ProblemWriter.Write(ctx, 403, ProblemTypes.CrossOrigin, "A request from another origin",
                "this server has no tokens configured and refuses state-changing requests from other sites' pages; " +
                "list the page's origin in CorsOrigins to allow it");
        return next(ctx);
    }

    public static bool IsLoopbackHost(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }
}
