using System.CommandLine;

namespace Conveyor.Cli.Infrastructure;

/// <summary>Options every command takes: where the broker is, the token, and JSON output.</summary>
internal static class GlobalOptions
{
    public const string BrokerEnv = "CONVEYOR_BROKER";
    public const string TokenEnv = "CONVEYOR_TOKEN";
    public const string SeedTokenEnv = Conveyor.Server.Auth.ApiTokens.SeedTokenVariable;
    public const string DefaultBroker = "http://127.0.0.1:5000";

    public static readonly Option<string?> Broker = new("--broker")
    {
        Description = $"Broker URL (env {BrokerEnv}; default {DefaultBroker})",
        Recursive = true,
    };

    public static readonly Option<string?> Token = new("--token")
    {
        Description = $"API token (env {TokenEnv}, else {SeedTokenEnv})",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON instead of human output",
        Recursive = true,
    };

    public static string ResolveBroker(ParseResult r)
    {
        var url = r.GetValue(Broker) ?? Environment.GetEnvironmentVariable(BrokerEnv) ?? DefaultBroker;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new CliException($"--broker: '{url}' is not an http:// or https:// URL");
        return url.TrimEnd('/');
    }

    /// <summary>
    /// <c>--token</c>, else <c>CONVEYOR_TOKEN</c>, else seed 003's <c>API_SECRET_TOKEN</c> (the one
    /// variable its compose file sets on the broker and the workers alike).
    /// </summary>
    public static string? ResolveToken(ParseResult r)
    {
        var token = r.GetValue(Token) ?? NonEmpty(Environment.GetEnvironmentVariable(TokenEnv)) ?? Environment.GetEnvironmentVariable(SeedTokenEnv);
        return string.IsNullOrWhiteSpace(token) ? null : token.Trim();
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
