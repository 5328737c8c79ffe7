namespace Conveyor.Server.Auth;

internal static class RequireScopeExtensions
{
    /// <summary>
    /// The route needs a principal (token header or dashboard cookie) holding one of these scopes;
    /// admin always passes. Applies the matching <see cref="ScopePolicies"/> policy and records the
    /// scopes as <see cref="RouteScope"/> metadata, the one place a route's scope is declared: the
    /// OpenAPI document, docs/http-api.md's table and the authorization matrix test read it from there.
    /// On a group and on one of its routes both apply (as any two authorization policies do).
    /// </summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, params string[] anyOf) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ScopePolicies.Name(anyOf)).WithMetadata(new RouteScope([.. Scopes.All.Where(anyOf.Contains)]));
}

/// <summary>Endpoint metadata: the route needs a token holding one of <see cref="AnyOf"/> (admin always passes).</summary>
public sealed record RouteScope(IReadOnlyList<string> AnyOf)
{
    /// <summary>Whether a token with these scopes passes every <see cref="RouteScope"/> of an endpoint.</summary>
    public static bool Allows(IEnumerable<RouteScope> rules, IReadOnlySet<string> held) =>
        held.Contains(Scopes.Admin) || rules.All(r => r.AnyOf.Any(held.Contains));

    public override string ToString() => string.Join(" or ", AnyOf);
}
