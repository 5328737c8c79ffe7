using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Conveyor.Server.Auth;

/// <summary>A route's rule: the principal holds one of these scopes (admin always passes).</summary>
internal sealed class ScopeRequirement(IReadOnlyList<string> anyOf) : IAuthorizationRequirement
{
    public IReadOnlyList<string> AnyOf { get; } = anyOf;
}

/// <summary>
/// One authorization policy per set of scopes a route may ask for (<c>scope:admin</c>,
/// <c>scope:submit|work</c>…), registered for every combination so a route names its scopes and
/// nothing else. The same policies judge a token header and the dashboard's cookie.
/// </summary>
internal static class ScopePolicies
{
    public static string Name(IEnumerable<string> anyOf)
    {
        var set = anyOf.ToHashSet(StringComparer.Ordinal);
        if (set.Count == 0 || set.Any(s => !Scopes.IsKnown(s)))
            throw new ArgumentException($"RequireScope takes one or more of {string.Join(", ", Scopes.All)}", nameof(anyOf));
        return "scope:" + string.Join('|', Scopes.All.Where(set.Contains));
    }

    public static void AddTo(AuthorizationOptions o)
    {
        var all = Scopes.All;
        for (var mask = 1; mask < 1 << all.Count; mask++)
        {
            string[] anyOf = [.. all.Where((_, i) => (mask & (1 << i)) != 0)];
            o.AddPolicy(Name(anyOf), p => p.AddRequirements(new ScopeRequirement(anyOf)));
        }
    }
}

/// <summary>Passes a principal holding a wanted scope or admin; everyone on an open (tokenless) loopback server.</summary>
internal sealed class ScopeAuthorizationHandler(ServerOptions server) : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (server.Tokens.Count == 0) context.Succeed(requirement);
        else if (context.User.Identity?.IsAuthenticated == true)
        {
            var held = AuthSchemes.ScopesOf(context.User);
            if (held.Contains(Scopes.Admin) || requirement.AnyOf.Any(held.Contains)) context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers a refused authorization with the API's problems: no principal → the scheme's challenge
/// (401 problem from the token scheme or the cookie's events); a principal without the scope → 403
/// naming the scopes the route needs.
/// </summary>
internal sealed class ScopeResultHandler : IAuthorizationMiddlewareResultHandler
{
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded) return next(context);
        if (authorizeResult.Challenged) return context.ChallengeAsync();
        var needed = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().FirstOrDefault()?.AnyOf;
        return AuthProblems.Forbidden(context, needed);
    }
}
