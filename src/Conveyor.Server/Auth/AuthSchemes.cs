using System.Security.Claims;
using System.Security.Cryptography;

namespace Conveyor.Server.Auth;

/// <summary>
/// The three authentication schemes and the claims they share. <see cref="Default"/> is a policy
/// scheme: a request carrying a token header is judged by <see cref="Token"/>, any other by
/// <see cref="Cookie"/> (the dashboard's session). Both give the same principal, so one set of scope
/// policies decides for both.
/// </summary>
internal static class AuthSchemes
{
    public const string Default = "conveyor";
    public const string Token = "conveyor-token";
    public const string Cookie = "conveyor-cookie";

    public const string TokenHeader = "X-API-Token";
    public const string CookieName = "conveyor.session";

    /// <summary>Claim: one of the token's scopes (one claim per scope).</summary>
    public const string ScopeClaim = "conveyor:scope";
    /// <summary>Claim: the token's SHA-256 in hex. Only ever inside the data-protected cookie, never shown.</summary>
    public const string TokenIdClaim = ClaimTypes.NameIdentifier;

    /// <summary>The token a request presents in <c>Authorization: Bearer</c> or <c>X-API-Token</c>, or null.</summary>
    public static string? Presented(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && auth.Length > 7) return auth[7..].Trim();
        var header = request.Headers[TokenHeader].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }

    /// <summary>Hashes, then compares against every configured hash in constant time (no early exit).</summary>
    public static ApiToken? Match(IEnumerable<ApiToken> tokens, string presented) => MatchHash(tokens, ApiToken.Hash(presented));

    /// <summary>The configured token with this hash, compared in constant time against every one.</summary>
    public static ApiToken? MatchHash(IEnumerable<ApiToken> tokens, byte[] hash)
    {
        ApiToken? found = null;
        foreach (var t in tokens)
            if (CryptographicOperations.FixedTimeEquals(hash, t.Sha256) && found is null) found = t;
        return found;
    }

    /// <summary>The principal of a token, for both schemes: name = its label, one claim per scope, its hash as id.</summary>
    public static ClaimsPrincipal Principal(ApiToken token, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, token.Label),
            new(TokenIdClaim, Convert.ToHexStringLower(token.Sha256)),
        };
        claims.AddRange(token.Scopes.Order(StringComparer.Ordinal).Select(s => new Claim(ScopeClaim, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static IReadOnlyList<string> ScopesOf(ClaimsPrincipal user) =>
        [.. user.FindAll(ScopeClaim).Select(c => c.Value)];

    /// <summary>Who acts, for audit records: the token's label, or "anonymous" on an open loopback server.</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, Name: { } name } ? name : "anonymous";
}
