using System.Security.Claims;
using Conveyor.Client.Protocol;
using Conveyor.Server.Auth;
using Conveyor.Server.Http;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace Conveyor.Server.Api;

/// <summary>
/// SessionGet, SessionCreate, SessionDelete: the dashboard's sign-in. Anonymous routes: signing in
/// trades a token (in the body) for the session cookie; every answer carries the anti-forgery token
/// the page sends back in <c>X-CSRF-Token</c>.
/// </summary>
internal static class SessionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Routes.Session).WithTags("Session");
        g.MapGet("", (HttpContext ctx, ServerOptions server, IAntiforgery antiforgery) => ApiResults.Ok(Describe(ctx, ctx.User, server, antiforgery)))
            .Produces<SessionResponse>().WithName("SessionGet")
            .WithSummary("Whether sign-in is needed, who this browser is signed in as (cookie or token header), and its anti-forgery token");
        g.MapPost("", Create).WithMetadata(new SignInEndpoint())
            .Accepts<SessionCreateRequest>("application/json").Produces<SessionResponse>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(403)
            .WithName("SessionCreate")
            .WithSummary("Sign in with a token: sets the HttpOnly, SameSite=Strict session cookie (Secure over HTTPS); 401 for a wrong token");
        g.MapDelete("", async (HttpContext ctx) =>
            {
                await ctx.SignOutAsync(AuthSchemes.Cookie);
                return Results.NoContent();
            })
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(403).WithName("SessionDelete")
            .WithSummary("Sign out: clears the session cookie (204)");
    }

    private static async Task<IResult> Create(HttpContext ctx, ServerOptions server, IAntiforgery antiforgery)
    {
        // Login forgery: a page elsewhere must not sign this browser in to a token of its choosing.
        // (An open server's guard has already refused any foreign Origin; behind a proxy only the browser's own word counts.)
        if (BrowserOrigin.IsCrossSite(ctx.Request, server))
            throw new ProblemException(403, ProblemTypes.CrossOrigin, "A sign-in from another origin", "sign in from the dashboard's own pages");
        var body = await JsonBody.Read<SessionCreateRequest>(ctx, server.MaxBodyBytes);
        if (string.IsNullOrEmpty(body.Token)) throw ProblemException.Validation("token", "token is required: the API token to sign in with");
        if (AuthSchemes.Match(server.Tokens, body.Token) is not { } token)
        {
            await AuthProblems.Unauthorized(ctx, "The token is not valid",
                server.Tokens.Count == 0 ? "this server has no tokens configured: it is open on loopback and needs no sign-in" : "no configured token matches the one sent");
            return Results.Empty;
        }
        var principal = AuthSchemes.Principal(token, AuthSchemes.Cookie);
        await ctx.SignInAsync(AuthSchemes.Cookie, principal, new AuthenticationProperties { IsPersistent = false });
        // The anti-forgery token is bound to who is signed in: make it for the new principal.
        ctx.User = principal;
        return ApiResults.Ok(Describe(ctx, principal, server, antiforgery));
    }

    private static SessionResponse Describe(HttpContext ctx, ClaimsPrincipal user, ServerOptions server, IAntiforgery antiforgery)
    {
        var csrf = antiforgery.GetAndStoreTokens(ctx).RequestToken ?? "";
        if (server.Tokens.Count == 0) return new SessionResponse(false, false, "anonymous", Scopes.All, csrf);
        return user.Identity?.IsAuthenticated == true
            ? new SessionResponse(true, true, user.Identity.Name, AuthSchemes.ScopesOf(user), csrf)
            : new SessionResponse(true, false, null, [], csrf);
    }
}
