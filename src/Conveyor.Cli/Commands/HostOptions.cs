using System.CommandLine;
using Conveyor.Cli.Configuration;
using Conveyor.Worker;

namespace Conveyor.Cli.Commands;

/// <summary>
/// The flags of <c>up</c>, <c>server</c> and <c>worker</c>. Each sets one configuration key (shown in
/// its help), so the same setting also comes from <c>appsettings.json</c> or <c>CONVEYOR__Section__Key</c>;
/// defaults live in the options classes (docs/configuration.md lists them all).
/// </summary>
internal static class HostOptions
{
    public static IReadOnlyList<ConfigFlag> Server() =>
    [
        ConfigFlag.Create("--port", "Server:Port", "Port to listen on (default 5000)"),
        ConfigFlag.Create("--host", "Server:Host", "Address to listen on (default 127.0.0.1; anything else needs tokens)"),
        ConfigFlag.Create("--tokens-file", "Auth:TokensFile", "File of hashed tokens from 'conveyor token create' (also CONVEYOR_TOKENS_FILE; CONVEYOR_TOKENS=scope:secret,...)"),
        ConfigFlag.Create("--data-protection-keys", "Server:DataProtectionKeysPath",
            "Directory for the keys of the dashboard's session cookies (also CONVEYOR_DATA_PROTECTION_KEYS). "
            + "Default: in memory, so a restart signs browsers out; brokers sharing a directory accept each other's sessions"),
        ConfigFlag.Create("--tls-cert", "Server:Tls:CertificateFile", "Serve HTTPS with this certificate (PEM with --tls-key, or .pfx)"),
        ConfigFlag.Create("--tls-key", "Server:Tls:KeyFile", "The PEM private key of --tls-cert"),
        // ops: rate limits and retention, also from appsettings.json and CONVEYOR__… (docs/configuration.md)
        ConfigFlag.Create("--rate-limit-per-token", "Server:RateLimitPerToken", "Requests one token may send per --rate-limit-window; past it 429 (default 0: off)"),
        ConfigFlag.Create("--rate-limit-per-address", "Server:RateLimitPerAddress", "Requests one client address may send per --rate-limit-window (default 0: off)"),
        ConfigFlag.Create("--rate-limit-window", "Server:RateLimitWindow", "The window both rate limits count in (default 1s)"),
        ConfigFlag.Create("--retention", "Retention:Rules", "How long terminal tasks are kept while the store holds no policy: " + RetentionCommand.RulesHelp + " (default: 7d for everything)"),
        ConfigFlag.Create("--retention-max", "Retention:MaxCount", "At most this many tasks kept per queue and terminal state (default: no limit)"),
        ConfigFlag.Create("--retention-default", "Retention:DefaultMaxAge", "How long a terminal task is kept when no rule names its state (default 7d)"),
    ];

    public static ConfigFlag Store(string help) => ConfigFlag.Create("--store", "Store:Location", help);

    public static IReadOnlyList<ConfigFlag> Worker() =>
    [
        ConfigFlag.Create("--queues", "Worker:Queues", "Queues to work on, comma-separated: in order of preference (high,low), or by weight (high:3,low:1); default default"),
        ConfigFlag.Create("--concurrency", "Worker:Concurrency", "Tasks run at once (default 10)", "-c"),
        ConfigFlag.Create("--lease-duration", "Worker:LeaseDuration", "Visibility timeout of each lease, renewed while the task runs (default 30s)"),
        ConfigFlag.Create("--max-prefetch", "Worker:MaxPrefetch", "Short tasks leased ahead of the free slots, at most (default 100; 0: lease only for free slots)"),
        ConfigFlag.Create("--drain-timeout", "Worker:DrainTimeout", "On shutdown, how long running tasks may finish before they are handed back (default 20s)"),
        ConfigFlag.Create("--email-duration", "BuiltIns:EmailSendDuration", "How long the built-in email.send pretends to send (default 3s)"),
        ConfigFlag.Create("--heavy-duration", "BuiltIns:HeavyDuration", "How long the built-in heavy task works (default 2s)"),
    ];

    /// <summary>Adds the flags, and <c>--config</c> and <c>--log-format</c>, to a command.</summary>
    public static void AddTo(Command command, IEnumerable<ConfigFlag> flags)
    {
        foreach (var f in flags) command.Options.Add(f.Option);
        command.Options.Add(ConveyorSettings.ConfigFile);
        command.Options.Add(ConveyorSettings.LogFormat.Option);
    }
}

/// <summary>Copies the bound settings onto the options a hosted worker (and its built-in handlers) are configured with.</summary>
internal static class WorkerOptionSet
{
    /// <summary>
    /// The settings the CLI always sets, and the others only when configured: a key left unset keeps
    /// the hosted worker's own default.
    /// </summary>
    public static void Copy(WorkerOptions from, WorkerOptions to, Microsoft.Extensions.Configuration.IConfiguration set)
    {
        bool Has(string key) => set["Worker:" + key] is not null;
        to.Queues = [.. from.Queues];
        to.Concurrency = from.Concurrency;
        to.LeaseDuration = from.LeaseDuration;
        to.DrainTimeout = from.DrainTimeout;
        to.MaxPrefetch = from.MaxPrefetch;
        to.OnTaskStart = from.OnTaskStart;
        if (Has(nameof(WorkerOptions.LeaseBatch))) to.LeaseBatch = from.LeaseBatch;
        if (Has(nameof(WorkerOptions.LeaseWait))) to.LeaseWait = from.LeaseWait;
        if (Has(nameof(WorkerOptions.HeartbeatInterval))) to.HeartbeatInterval = from.HeartbeatInterval;
        if (Has(nameof(WorkerOptions.AckBatch))) to.AckBatch = from.AckBatch;
        if (Has(nameof(WorkerOptions.WorkerId))) to.WorkerId = from.WorkerId;
        if (Has(nameof(WorkerOptions.MaxResultBytes))) to.MaxResultBytes = from.MaxResultBytes;
    }

    public static void Copy(BuiltInHandlerOptions from, BuiltInHandlerOptions to)
    {
        to.EmailSendDuration = from.EmailSendDuration;
        to.HeavyDuration = from.HeavyDuration;
    }
}
