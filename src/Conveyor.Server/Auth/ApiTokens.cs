using System.Security.Cryptography;

namespace Conveyor.Server.Auth;

/// <summary>A freshly created token: show <see cref="Secret"/> once to the user, store <see cref="Line"/>.</summary>
public sealed record CreatedToken(string Secret, string Line, ApiToken Token);

/// <summary>Token creation and loading, for <c>conveyor token create</c> and the server's settings.</summary>
public static class ApiTokens
{
    public const string TokensVariable = "CONVEYOR_TOKENS";
    public const string TokensFileVariable = "CONVEYOR_TOKENS_FILE";
    /// <summary>Seed 003's variable: honoured as one admin token so its broker and workers run unchanged.</summary>
    public const string SeedTokenVariable = "API_SECRET_TOKEN";

    /// <summary>A new random token (256 bits, prefixed <c>cvy_</c>) and its hashed tokens-file line.</summary>
    public static CreatedToken Create(IEnumerable<string> scopes, string? name = null)
    {
        var secret = "cvy_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var token = ApiToken.FromSecret(secret, scopes, name);
        return new CreatedToken(secret, token.ToLine(), token);
    }

    public static IReadOnlyList<ApiToken> LoadFile(string path)
    {
        var tokens = new List<ApiToken>();
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            try
            {
                if (ApiToken.ParseLine(line) is { } t) tokens.Add(t);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{path}:{n}: {e.Message}", e);
            }
        }
        return tokens;
    }

    /// <summary>Tokens from CONVEYOR_TOKENS, CONVEYOR_TOKENS_FILE and API_SECRET_TOKEN (when set).</summary>
    public static IReadOnlyList<ApiToken> FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        var tokens = new List<ApiToken>(ApiToken.ParseList(getVariable(TokensVariable)));
        if (getVariable(TokensFileVariable) is { Length: > 0 } file) tokens.AddRange(LoadFile(file));
        if (getVariable(SeedTokenVariable) is { Length: > 0 } seed) tokens.Add(ApiToken.FromSecret(seed, [Scopes.Admin], SeedTokenVariable));
        return tokens;
    }
}
