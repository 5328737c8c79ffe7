namespace Conveyor.Server.Auth;

/// <summary>
/// Who is asking, for audit records: the authenticated user's name when the host set one (an
/// authentication scheme), else the matched token's name, else a short fingerprint of that token
/// (the first 8 hex digits of its SHA-256, as in the tokens file), else "anonymous" (open loopback).
/// </summary>
internal static class Actor
{
    public const string Anonymous = "anonymous";

    public static string Of(HttpContext ctx)
    {
        if (ctx.User.Identity?.Name is { Length: > 0 } name) return name;
        if (ctx.Items[AuthMiddleware.TokenItem] is ApiToken token)
            return token.Name ?? "token:" + Convert.ToHexStringLower(token.Sha256)[..8];
        return Anonymous;
    }
}
