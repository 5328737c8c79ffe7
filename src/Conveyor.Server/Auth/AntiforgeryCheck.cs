using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace Conveyor.Server.Auth;

/// <summary>
/// Anti-forgery for the dashboard: a request authenticated by the session cookie that is not
/// GET/HEAD/OPTIONS/TRACE must carry <c>X-CSRF-Token</c> (ASP.NET Core antiforgery, bound to the
/// signed-in token), or it is refused with a 403 <c>antiforgery</c> problem before it reaches a
/// route. A request with a token header needs none: a browser cannot be made to send one cross-site.
/// Signing in (POST /api/v1/session) is exempt: it proves itself with the token in its body.
/// </summary>
internal sealed class AntiforgeryCheck(RequestDelegate next, IAntiforgery antiforgery)
{
    public const string HeaderName = "X-CSRF-Token";

    public async Task InvokeAsync(HttpContext ctx)
    {
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method)
            && !HttpMethods.IsOptions(ctx.Request.Method) && !HttpMethods.IsTrace(ctx.Request.Method)
            && ByCookie(ctx) && ctx.GetEndpoint()?.Metadata.GetMetadata<SignInEndpoint>() is null
            && !await antiforgery.IsRequestValidAsync(ctx))
        {
            await AuthProblems.Antiforgery(ctx);
            return;
        }
        await next(ctx);
    }

    private static bool ByCookie(HttpContext ctx) =>
        ctx.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult is { Succeeded: true, Ticket.AuthenticationScheme: AuthSchemes.Cookie };
}

/// <summary>Endpoint metadata: the sign-in route, which authenticates by its body and needs no anti-forgery token.</summary>
internal sealed class SignInEndpoint;
