using System.CommandLine;
using Conveyor.Cli.Infrastructure;
using Conveyor.Server;
using Conveyor.Worker;
using Microsoft.Extensions.Configuration;

namespace Conveyor.Cli.Configuration;

/// <summary>
/// The settings of <c>up</c>, <c>server</c> and <c>worker</c>, read the .NET way: <c>appsettings.json</c>
/// in the working directory (optional) or the file <c>--config</c> names, then environment variables
/// <c>CONVEYOR__Section__Key</c>, then the command-line flags (later sources win), bound to one
/// options object per section and checked before anything starts (<see cref="SettingsChecks"/>). Every
/// bad value is reported by its key and value, all at once.
/// </summary>
internal sealed class ConveyorSettings
{
    public const string EnvironmentPrefix = "CONVEYOR__";
    public const string DefaultFile = "appsettings.json";

    /// <summary>
    /// Every section and the options type bound to it; docs/configuration.md lists their keys (a test
    /// keeps the two in step).
    /// </summary>
    public static readonly IReadOnlyList<(string Section, Type Type)> Sections =
    [
        ("Server", typeof(ServerOptions)),
        ("Store", typeof(StoreSettings)),
        ("Worker", typeof(WorkerOptions)),
        ("BuiltIns", typeof(BuiltInHandlerOptions)),
        ("Auth", typeof(AuthSettings)),
        ("Telemetry", typeof(TelemetrySettings)),
        ("Logging:Console", typeof(ConsoleLogSettings)),
        ("Retention", typeof(RetentionSettings)), // ops
    ];

    public static readonly Option<string?> ConfigFile = new("--config") { Description = $"A JSON settings file (default: ./{DefaultFile} when present)" };
    public static readonly ConfigFlag LogFormat = ConfigFlag.Create("--log-format", "Logging:Console:FormatterName", "Console log format: simple (default) or json");

    public required IConfiguration Configuration { get; init; }
    public ServerOptions Server { get; } = new() { Port = 5000 };
    public StoreSettings Store { get; } = new();
    public WorkerOptions Worker { get; } = new() { OnTaskStart = ExecutionLog.FromEnvironment() };
    public BuiltInHandlerOptions BuiltIns { get; } = new();
    public AuthSettings Auth { get; } = new();
    public TelemetrySettings Telemetry { get; } = new();
    public ConsoleLogSettings ConsoleLog { get; } = new();
    public RetentionSettings Retention { get; } = new(); // ops

    /// <summary>The store <see cref="Store"/> names, once checked; null for a worker that goes through a broker.</summary>
    public StoreSpec? Spec { get; set; }

    /// <summary>Reads, binds and checks; throws <see cref="SettingsException"/> listing every bad key.</summary>
    public static ConveyorSettings Load(ParseResult r, IEnumerable<ConfigFlag> flags, HostRole role)
    {
        var builder = new ConfigurationBuilder();
        var file = r.GetValue(ConfigFile);
        if (file is not null)
        {
            if (!File.Exists(file)) throw new SettingsException([$"--config: '{file}' does not exist"]);
            builder.AddJsonFile(Path.GetFullPath(file), optional: false);
        }
        else builder.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), DefaultFile), optional: true);
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        var given = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in flags.Append(LogFormat))
            if (r.GetResult(f.Option) is { Implicit: false } && r.GetValue(f.Option) is { } v) given[f.Key] = v;
        builder.AddInMemoryCollection(given);
        IConfiguration config;
        try
        {
            config = builder.Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new SettingsException([$"{file ?? DefaultFile}: {(e.InnerException ?? e).Message}"]);
        }
        var settings = new ConveyorSettings { Configuration = config };
        var errors = new List<string>();
        foreach (var (section, target) in settings.Targets()) OptionsBinder.Bind(config, section, target, errors);
        foreach (var d in ScheduleSettings.ReadAll(config, errors)) settings.Server.Schedules.Add(d); // cron
        foreach (var l in LimitSettings.ReadAll(config, errors)) settings.Server.Limits.Add(l); // limits
        if (errors.Count == 0) SettingsChecks.Check(settings, role, errors);
        return errors.Count > 0 ? throw new SettingsException(errors) : settings;
    }

    private IEnumerable<(string, object)> Targets() =>
        [("Server", Server), ("Store", Store), ("Worker", Worker), ("BuiltIns", BuiltIns), ("Auth", Auth), ("Telemetry", Telemetry), ("Logging:Console", ConsoleLog), ("Retention", Retention)];

    /// <summary>The value a key holds (for messages), or null.</summary>
    public string? Raw(string key) => Configuration[key];
}

/// <summary>What a process runs, so that only the settings it uses are checked.</summary>
[Flags]
internal enum HostRole { Server = 1, Worker = 2, Both = Server | Worker }

/// <summary>Settings that must not start a process: one line per bad key, each naming the key and its value.</summary>
internal sealed class SettingsException(IReadOnlyList<string> errors) : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
