using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Conveyor.Client.Protocol;
using Conveyor.Server.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Conveyor.Server.Auth;

/// <summary>
/// Request rate limits (ASP.NET Core's rate limiter), two fixed windows chained: per token (the
/// authenticated token, whether it came in a header or the dashboard's cookie) and per client
/// address (the connection's peer address: forwarded headers never name it, see
/// <see cref="AuthSetup"/>). A request over either limit gets a 429 <c>rate-limited</c> problem with
/// <c>Retry-After</c> (seconds until the window reopens) and reaches no route. Health probes are
/// never limited. Both limits are off by default (<see cref="ServerOptions.RateLimitPerToken"/>,
/// <see cref="ServerOptions.RateLimitPerAddress"/> = 0): a broker's callers are mostly its own
/// workers, thousands of requests a second in the benchmarks.
/// </summary>
internal static class RateLimits
{
    public static bool Enabled(ServerOptions o) => o.RateLimitPerToken > 0 || o.RateLimitPerAddress > 0;

    public static IServiceCollection AddConveyorRateLimits(this IServiceCollection services, ServerOptions options)
    {
        if (!Enabled(options)) return services;
        return services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(ByToken(options), ByAddress(options));
            o.OnRejected = (rejected, ct) => Reject(rejected.HttpContext, rejected.Lease, options);
        });
    }

    public static IApplicationBuilder UseConveyorRateLimits(this IApplicationBuilder app, ServerOptions options) =>
        Enabled(options) ? app.UseRateLimiter() : app;

    private static PartitionedRateLimiter<HttpContext> ByToken(ServerOptions o) => PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
        o.RateLimitPerToken <= 0 || Exempt(ctx) || ctx.User.FindFirst(AuthSchemes.TokenIdClaim)?.Value is not { } id
            ? RateLimitPartition.GetNoLimiter("")
            : RateLimitPartition.GetFixedWindowLimiter("token:" + id, _ => Window(o.RateLimitPerToken, o.RateLimitWindow)));

    private static PartitionedRateLimiter<HttpContext> ByAddress(ServerOptions o) => PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
        o.RateLimitPerAddress <= 0 || Exempt(ctx)
            ? RateLimitPartition.GetNoLimiter("")
            : RateLimitPartition.GetFixedWindowLimiter("address:" + Address(ctx), _ => Window(o.RateLimitPerAddress, o.RateLimitWindow)));

    /// <summary>The client address a limit is kept for: the connection's peer (IPv4-mapped IPv6 as IPv4).</summary>
    public static string Address(HttpContext ctx) => ctx.Connection.RemoteIpAddress is { } ip
        ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString()
        : IPAddress.None.ToString();

    private static bool Exempt(HttpContext ctx) =>
        ctx.Request.Path.Equals(Routes.Healthz, StringComparison.Ordinal) || ctx.Request.Path.Equals(Routes.Readyz, StringComparison.Ordinal);

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) => new()
    {
        PermitLimit = permits,
        Window = window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static async ValueTask Reject(HttpContext ctx, RateLimitLease lease, ServerOptions o)
    {
        var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : o.RateLimitWindow;
        var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
        ctx.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await ProblemWriter.Write(ctx, StatusCodes.Status429TooManyRequests, ProblemTypes.RateLimited, "Too many requests",
            $"this client sent more requests than its limit allows; retry after {seconds} s");
    }
}
