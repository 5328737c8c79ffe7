using System.Security.Cryptography;
using Conveyor.Client.Protocol;
using Conveyor.Server.Http;

namespace Conveyor.Server.Auth;

/// <summary>
/// Checks the token of every endpoint that carries a <see cref="ScopeRequirement"/>: 401 without a
/// known token, 403 without the scope. With no token configured the server only ever listens on
/// loopback (see <see cref="BindGuard"/>), and requests pass anonymously.
/// </summary>
internal sealed class AuthMiddleware(RequestDelegate next, ServerOptions options)
{
    public const string TokenHeader = "X-API-Token";

    /// <summary>The <see cref="HttpContext.Items"/> key of the matched <see cref="ApiToken"/> (read by <see cref="Actor"/>).</summary>
    public const string TokenItem = "conveyor.token";

    public Task InvokeAsync(HttpContext ctx)
    {
        var requirement = ctx.GetEndpoint()?.Metadata.GetMetadata<ScopeRequirement>();
        if (requirement is null || options.Tokens.Count == 0) return next(ctx);

        var presented = Presented(ctx.Request);
        var token = presented is null ? null : Match(presented);
        if (token is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer realm=\"conveyor\"";
            return presented is null
                ? ProblemWriter.Write(ctx, 401, ProblemTypes.Unauthorized, "A token is required",
                    $"send a token as 'Authorization: Bearer <token>' or '{TokenHeader}: <token>'")
                : ProblemWriter.Write(ctx, 401, ProblemTypes.Unauthorized, "The token is not valid", "no configured token matches the one sent");
        }
        if (!requirement.AnyOf.Any(token.Allows))
            return ProblemWriter.Write(ctx, 403, ProblemTypes.Forbidden, "The token lacks a scope",
                $"this route needs a token with scope {string.Join(" or ", requirement.AnyOf)} (or admin)");
        ctx.Items[TokenItem] = token;
        return next(ctx);
    }

    private static string? Presented(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && auth.Length > 7) return auth[7..].Trim();
        var header = request.Headers[TokenHeader].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }

    /// <summary>Hashes, then compares against every configured hash in constant time (no early exit).</summary>
    private ApiToken? Match(string presented)
    {
        var hash = ApiToken.Hash(presented);
        ApiToken? found = null;
        foreach (var t in options.Tokens)
            if (CryptographicOperations.FixedTimeEquals(hash, t.Sha256) && found is null) found = t;
        return found;
    }
}
