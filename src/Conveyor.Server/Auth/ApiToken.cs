using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Conveyor.Server.Auth;

/// <summary>The scopes of DESIGN §6. <c>admin</c> implies the others.</summary>
public static class Scopes
{
    public const string Submit = "submit";
    public const string Work = "work";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Submit, Work, Admin];

    public static bool IsKnown(string scope) => scope is Submit or Work or Admin;
}

/// <summary>
/// A configured token: only the SHA-256 of its secret is kept, so a tokens file or a memory dump
/// does not reveal it. Presented tokens are hashed and compared in constant time.
/// </summary>
public sealed record ApiToken(byte[] Sha256, IReadOnlySet<string> Scopes, string? Name = null)
{
    public static ApiToken FromSecret(string secret, IEnumerable<string> scopes, string? name = null) =>
        new(Hash(secret), CheckScopes(scopes), name);

    public bool Allows(string scope) => Scopes.Contains(Auth.Scopes.Admin) || Scopes.Contains(scope);

    /// <summary>
    /// How logs, audit records and the dashboard name this token: its name, else <c>sha256:</c> and the
    /// first 8 hex digits of its hash (the start of its tokens-file line). Never the secret.
    /// </summary>
    public string Label => Name ?? $"sha256:{Convert.ToHexStringLower(Sha256.AsSpan(0, 4))}";

    /// <summary>The tokens-file line for this token: <c>sha256:&lt;hex&gt; scope[,scope] [name]</c>.</summary>
    public string ToLine() =>
        $"sha256:{Convert.ToHexStringLower(Sha256)} {string.Join(',', Scopes.Order(StringComparer.Ordinal))}{(Name is null ? "" : " " + Name)}";

    /// <summary>
    /// Parses a tokens-file line <c>sha256:&lt;64 hex&gt; submit,work [name]</c>. Blank lines and
    /// <c>#</c> comments give null.
    /// </summary>
    public static ApiToken? ParseLine(string line)
    {
        var text = line.Trim();
        if (text.Length == 0 || text.StartsWith('#')) return null;
        var parts = text.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !parts[0].StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
            throw new FormatException("a tokens-file line is 'sha256:<64 hex digits> <scope>[,<scope>] [name]'");
        var hex = parts[0]["sha256:".Length..];
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
            throw new FormatException("the token hash must be 64 hex digits after 'sha256:'");
        return new ApiToken(Convert.FromHexString(hex), CheckScopes(parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries)), parts.Length > 2 ? parts[2] : null);
    }

    /// <summary>Parses <c>CONVEYOR_TOKENS</c>: <c>scope[+scope]:secret,…</c>, e.g. <c>admin:s1,submit+work:s2</c>.</summary>
    public static IReadOnlyList<ApiToken> ParseList(string? value)
    {
        var tokens = new List<ApiToken>();
        if (string.IsNullOrWhiteSpace(value)) return tokens;
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = item.IndexOf(':');
            if (colon <= 0 || colon == item.Length - 1)
                throw new FormatException("CONVEYOR_TOKENS is a comma-separated list of scope[+scope]:secret");
            tokens.Add(FromSecret(item[(colon + 1)..], item[..colon].Split('+'), name: null));
        }
        return tokens;
    }

    internal static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static HashSet<string> CheckScopes(IEnumerable<string> scopes)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in scopes)
        {
            var s = raw.Trim().ToLower(CultureInfo.InvariantCulture);
            if (!Auth.Scopes.IsKnown(s)) throw new FormatException($"unknown scope '{raw}': use {string.Join(", ", Auth.Scopes.All)}");
            set.Add(s);
        }
        if (set.Count == 0) throw new FormatException("a token needs at least one scope");
        return set;
    }
}
