using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Conveyor.Server.Auth;

/// <summary>
/// The dashboard's session cookie. It holds only a data-protected ticket naming the token (its hash
/// and scopes), never the secret: HttpOnly, SameSite=Strict, Secure when the request came over HTTPS,
/// path /, a browser-session cookie whose ticket slides (<see cref="ServerOptions.SessionLifetime"/>,
/// 8 h by default). Every request checks the ticket's token against the tokens configured now, so
/// a token removed from the configuration signs its sessions out at once. Refusals are 401/403
/// problems, never redirects.
/// </summary>
internal static class SessionCookie
{
    public static void Configure(CookieAuthenticationOptions o, ServerOptions server)
    {
        o.Cookie.Name = AuthSchemes.CookieName;
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Strict;
        o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.Cookie.Path = "/";
        o.Cookie.IsEssential = true;
        o.ExpireTimeSpan = server.SessionLifetime;
        o.SlidingExpiration = true;
        o.Events = new CookieAuthenticationEvents
        {
            OnValidatePrincipal = Validate,
            OnRedirectToLogin = ctx => ctx.Request.Cookies.ContainsKey(AuthSchemes.CookieName)
                ? AuthProblems.StaleSession(ctx.HttpContext)
                : AuthProblems.NoToken(ctx.HttpContext),
            OnRedirectToAccessDenied = ctx => AuthProblems.Forbidden(ctx.HttpContext, null),
            OnRedirectToLogout = _ => Task.CompletedTask,
            OnRedirectToReturnUrl = _ => Task.CompletedTask,
        };
    }

    /// <summary>The ticket's token must still be configured; its name and scopes are taken from the configuration as it is now.</summary>
    private static async Task Validate(CookieValidatePrincipalContext ctx)
    {
        var server = ctx.HttpContext.RequestServices.GetRequiredService<ServerOptions>();
        var id = ctx.Principal?.FindFirst(AuthSchemes.TokenIdClaim)?.Value;
        var hash = id is { Length: 64 } && id.All(Uri.IsHexDigit) ? Convert.FromHexString(id) : null;
        if (hash is not null && AuthSchemes.MatchHash(server.Tokens, hash) is { } token)
        {
            ctx.ReplacePrincipal(AuthSchemes.Principal(token, AuthSchemes.Cookie));
            return;
        }
        ctx.RejectPrincipal();
        await ctx.HttpContext.SignOutAsync(AuthSchemes.Cookie);
    }
}
