namespace Conveyor.Server.Auth;

/// <summary>Endpoint metadata: a token must hold one of these scopes (admin always passes).</summary>
internal sealed record ScopeRequirement(IReadOnlyList<string> AnyOf);

internal static class RequireScopeExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, params string[] anyOf) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeRequirement(anyOf));
}
