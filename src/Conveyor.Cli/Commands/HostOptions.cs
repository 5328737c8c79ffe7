using System.CommandLine;
using Conveyor.Cli.Infrastructure;
using Conveyor.Engine;
using Conveyor.Server;
using Conveyor.Server.Auth;
using Conveyor.Worker;

namespace Conveyor.Cli.Commands;

/// <summary>The options shared by <c>up</c>, <c>server</c> and <c>worker</c>, and their checks.</summary>
internal static class HostOptions
{
    public static Option<int> Port(int fallback = 5000) => new("--port") { Description = $"Port to listen on (default {fallback})", DefaultValueFactory = _ => fallback };
    public static Option<string> Host() => new("--host") { Description = "Address to listen on (default 127.0.0.1; anything else needs tokens)", DefaultValueFactory = _ => "127.0.0.1" };
    public static Option<string?> Store(string help) => new("--store") { Description = help };
    public static Option<string?> TokensFile() => new("--tokens-file") { Description = "File of hashed tokens from 'conveyor token create' (also CONVEYOR_TOKENS_FILE; CONVEYOR_TOKENS=scope:secret,...)" };
    public static Option<string?> DataProtectionKeys() => new("--data-protection-keys")
    {
        Description = "Directory for the keys of the dashboard's session cookies (also CONVEYOR_DATA_PROTECTION_KEYS). "
            + "Default: in memory, so a restart signs browsers out; brokers sharing a directory accept each other's sessions",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CONVEYOR_DATA_PROTECTION_KEYS") is { Length: > 0 } dir ? dir : null,
    };
    public static Option<string> Queues() => new("--queues") { Description = "Queues to work on, in order of preference, comma-separated", DefaultValueFactory = _ => "default" };
    public static Option<int> Concurrency(int fallback = 10) => new("--concurrency", "-c") { Description = $"Tasks run at once (default {fallback})", DefaultValueFactory = _ => fallback };
    public static Option<string> LeaseDuration() => new("--lease-duration") { Description = "Visibility timeout of each lease, renewed while the task runs (default 30s)", DefaultValueFactory = _ => "30s" };
    public static Option<int> MaxPrefetch() => new("--max-prefetch") { Description = "Short tasks leased ahead of the free slots, at most (default 100; 0: lease only for free slots)", DefaultValueFactory = _ => 100 };
    public static Option<string> Drain() => new("--drain-timeout") { Description = "On shutdown, how long running tasks may finish before they are handed back (default 20s)", DefaultValueFactory = _ => "20s" };

    public static Option<string> EmailDuration() => new("--email-duration") { Description = "How long the built-in email.send pretends to send (default 3s)", DefaultValueFactory = _ => "3s" };
    public static Option<string> HeavyDuration() => new("--heavy-duration") { Description = "How long the built-in heavy task works (default 2s)", DefaultValueFactory = _ => "2s" };

    /// <summary>The built-in task types' settings from the command line.</summary>
    public static Action<BuiltInHandlerOptions> BuiltIns(ParseResult r, Option<string> email, Option<string> heavy)
    {
        var emailDuration = Durations.Parse(r.GetValue(email)!, "--email-duration");
        var heavyDuration = Durations.Parse(r.GetValue(heavy)!, "--heavy-duration");
        return o =>
        {
            o.EmailSendDuration = emailDuration;
            o.HeavyDuration = heavyDuration;
        };
    }

    public static ServerOptions Server(ParseResult r, Option<string> host, Option<int> port, Option<string?> tokensFile)
    {
        var options = new ServerOptions { Host = r.GetValue(host)!, Port = r.GetValue(port) };
        if (options.Port is < 0 or > 65535) throw new CliException($"--port must be between 0 and 65535; got {options.Port}");
        try
        {
            foreach (var t in ApiTokens.FromEnvironment()) options.Tokens.Add(t);
            if (r.GetValue(tokensFile) is { } file)
            {
                if (!File.Exists(file)) throw new CliException($"--tokens-file: '{file}' does not exist");
                foreach (var t in ApiTokens.LoadFile(file)) options.Tokens.Add(t);
            }
            // The server reloads this file when it changes (tokens rotated without a restart).
            options.TokensFile = r.GetValue(tokensFile) ?? (Environment.GetEnvironmentVariable(ApiTokens.TokensFileVariable) is { Length: > 0 } env ? env : null);
        }
        catch (FormatException e)
        {
            throw new CliException($"tokens: {e.Message}");
        }
        return options;
    }

    public static WorkerOptions Worker(ParseResult r, Option<string> queues, Option<int> concurrency, Option<string> lease, Option<string> drain, Option<int> maxPrefetch)
    {
        var options = new WorkerOptions
        {
            Queues = [.. r.GetValue(queues)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            Concurrency = r.GetValue(concurrency),
            LeaseDuration = Durations.Parse(r.GetValue(lease)!, "--lease-duration"),
            DrainTimeout = Durations.Parse(r.GetValue(drain)!, "--drain-timeout"),
            MaxPrefetch = r.GetValue(maxPrefetch),
            OnTaskStart = ExecutionLog.FromEnvironment(),
        };
        var errors = options.Validate();
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
        return options;
    }
}

/// <summary>
/// The worker options of <c>up</c> and <c>worker</c>, defined once: queues, concurrency, lease, drain,
/// prefetch and the built-in task types' durations.
/// </summary>
internal sealed class WorkerOptionSet
{
    private readonly Option<string> _queues = HostOptions.Queues();
    private readonly Option<int> _concurrency = HostOptions.Concurrency();
    private readonly Option<string> _lease = HostOptions.LeaseDuration();
    private readonly Option<string> _drain = HostOptions.Drain();
    private readonly Option<int> _maxPrefetch = HostOptions.MaxPrefetch();
    private readonly Option<string> _email = HostOptions.EmailDuration();
    private readonly Option<string> _heavy = HostOptions.HeavyDuration();

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _queues, _concurrency, _lease, _drain, _maxPrefetch, _email, _heavy }) command.Options.Add(o);
    }

    /// <summary>The validated worker options (every problem listed at once).</summary>
    public WorkerOptions Worker(ParseResult r) => HostOptions.Worker(r, _queues, _concurrency, _lease, _drain, _maxPrefetch);

    public Action<BuiltInHandlerOptions> BuiltIns(ParseResult r) => HostOptions.BuiltIns(r, _email, _heavy);

    /// <summary>Copies what the command line sets onto the hosted worker's options.</summary>
    public static void Copy(WorkerOptions from, WorkerOptions to)
    {
        to.Queues = [.. from.Queues];
        to.Concurrency = from.Concurrency;
        to.LeaseDuration = from.LeaseDuration;
        to.DrainTimeout = from.DrainTimeout;
        to.MaxPrefetch = from.MaxPrefetch;
        to.OnTaskStart = from.OnTaskStart;
    }
}
