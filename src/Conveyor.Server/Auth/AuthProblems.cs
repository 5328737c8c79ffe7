using Conveyor.Client.Protocol;
using Conveyor.Server.Http;

namespace Conveyor.Server.Auth;

/// <summary>The refusals of authentication and authorization, as RFC 9457 problems (never a redirect).</summary>
internal static class AuthProblems
{
    public static Task NoToken(HttpContext ctx) => Unauthorized(ctx, "A token is required",
        $"send a token as 'Authorization: Bearer <token>' or '{AuthSchemes.TokenHeader}: <token>'");

    public static Task BadToken(HttpContext ctx) => Unauthorized(ctx, "The token is not valid", "no configured token matches the one sent");

    public static Task StaleSession(HttpContext ctx) => Unauthorized(ctx, "The session is no longer valid",
        $"the session expired, or its token is no longer configured: sign in again at {Routes.Session}, or send a token");

    public static Task Unauthorized(HttpContext ctx, string title, string detail)
    {
        ctx.Response.Headers.WWWAuthenticate = "Bearer realm=\"conveyor\"";
        return ProblemWriter.Write(ctx, 401, ProblemTypes.Unauthorized, title, detail);
    }

    public static Task Forbidden(HttpContext ctx, IReadOnlyList<string>? anyOf) => ProblemWriter.Write(ctx, 403, ProblemTypes.Forbidden,
        "The token lacks a scope",
        anyOf is { Count: > 0 }
            ? $"this route needs a token with scope {string.Join(" or ", anyOf)} (or admin)"
            : "this route needs a scope the token does not hold");

    public static Task Antiforgery(HttpContext ctx) => ProblemWriter.Write(ctx, 403, ProblemTypes.Antiforgery,
        "The anti-forgery token is missing or not valid",
        $"a request signed in by the session cookie that is not GET or HEAD must send header {AntiforgeryCheck.HeaderName} " +
        $"with the csrf_token of GET {Routes.Session}");
}
