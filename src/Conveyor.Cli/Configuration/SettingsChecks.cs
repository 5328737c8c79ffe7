using Conveyor.Cli.Infrastructure;
using Conveyor.Server;
using Conveyor.Server.Auth;
using Conveyor.Server.Hosting;
using Microsoft.Extensions.Logging.Console;

namespace Conveyor.Cli.Configuration;

/// <summary>
/// The start-time checks of the bound settings (the ValidateOnStart of this CLI): each problem is one
/// line naming the key and the value that holds it, e.g. <c>Worker:Concurrency = '-3': ...</c>.
/// Also loads what the settings point at (the tokens, the TLS certificate) so a bad file stops the start.
/// </summary>
internal static class SettingsChecks
{
    private static readonly string[] Formatters = [ConsoleFormatterNames.Simple, ConsoleFormatterNames.Json, ConsoleFormatterNames.Systemd];

    public static void Check(ConveyorSettings s, HostRole role, List<string> errors)
    {
        void Bad(string key, string problem) => errors.Add($"{key} = '{s.Raw(key) ?? "(unset)"}': {problem}");

        if (!Formatters.Contains(s.ConsoleLog.FormatterName, StringComparer.OrdinalIgnoreCase))
            Bad("Logging:Console:FormatterName", $"must be one of {string.Join(", ", Formatters)}");
        try
        {
            s.Spec = StoreSpec.Parse(s.Store.Location, role.HasFlag(HostRole.Server) || s.Store.Location is not null ? StoreSpec.DefaultFile : null, "Store:Location");
        }
        catch (CliException e) when (s.Store.Location is not null)
        {
            errors.Add(e.Message); // names the key and the value already
        }
        catch (CliException)
        {
            // A worker without a store works through a broker.
        }
        if (role.HasFlag(HostRole.Worker))
        {
            foreach (var e in s.Worker.Validate()) Bad(KeyOf("Worker", e.Field), e.Message);
            if (s.Telemetry.MetricsPort is < 1 or > 65535) Bad("Telemetry:MetricsPort", "must be between 1 and 65535");
        }
        if (!role.HasFlag(HostRole.Server)) return;
        if (s.Server.Port is < 0 or > 65535) Bad("Server:Port", "must be between 0 and 65535");
        HostChecks.RateLimits(s, Bad); // ops
        HostChecks.Retention(s, Bad); // ops
        LoadTokens(s, Bad);
        if (s.Server.DataProtectionKeysPath is null && Environment.GetEnvironmentVariable("CONVEYOR_DATA_PROTECTION_KEYS") is { Length: > 0 } keys)
            s.Server.DataProtectionKeysPath = keys;
        if (errors.Count > 0) return;
        try
        {
            ConveyorServer.Validate(s.Server);
        }
        catch (ServerConfigurationException e)
        {
            errors.Add(e.Message);
        }
    }

    private static void LoadTokens(ConveyorSettings s, Action<string, string> bad)
    {
        try
        {
            foreach (var t in ApiTokens.FromEnvironment()) s.Server.Tokens.Add(t);
        }
        catch (FormatException e)
        {
            bad(ApiTokens.TokensVariable, e.Message);
            return;
        }
        try
        {
            foreach (var t in ApiToken.ParseList(s.Auth.Tokens)) s.Server.Tokens.Add(t);
        }
        catch (FormatException e)
        {
            bad("Auth:Tokens", e.Message);
        }
        // The broker reloads the tokens file when it changes (tokens rotated without a restart).
        s.Server.TokensFile = s.Auth.TokensFile is { Length: > 0 } named ? named
            : Environment.GetEnvironmentVariable(ApiTokens.TokensFileVariable) is { Length: > 0 } env ? env : null;
        if (s.Auth.TokensFile is not { Length: > 0 } file) return;
        try
        {
            foreach (var t in ApiTokens.LoadFile(file)) s.Server.Tokens.Add(t);
        }
        catch (FormatException e)
        {
            bad("Auth:TokensFile", e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            bad("Auth:TokensFile", $"cannot be read: {e.Message}");
        }
    }

    /// <summary>"worker.lease_duration" (a validation error's field) is the key "Worker:LeaseDuration".</summary>
    private static string KeyOf(string section, string field)
    {
        var name = field[(field.IndexOf('.', StringComparison.Ordinal) + 1)..];
        return $"{section}:{string.Concat(name.Split('_').Select(w => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..]))}";
    }
}
