namespace Conveyor.Server.Auth;

internal static class RequireScopeExtensions
{
    /// <summary>
    /// The route needs a principal (token header or dashboard cookie) holding one of these scopes;
    /// admin always passes. Applies the matching <see cref="ScopePolicies"/> policy. On a group and on
    /// one of its routes both apply (as any two authorization policies do).
    /// </summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, params string[] anyOf) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ScopePolicies.Name(anyOf));
}
