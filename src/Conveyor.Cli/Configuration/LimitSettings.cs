using Conveyor.Limits;
using Conveyor.Engine;
using Conveyor.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Conveyor.Cli.Configuration;

/// <summary>
/// One queue limit of the configuration: the keys under <c>Limits:&lt;queue&gt;:&lt;name&gt;</c>
/// (appsettings.json's <c>"Limits": { "emails": { "per-tenant": { "Key": "metadata.tenant", "Concurrency": 2 } } }</c>,
/// or <c>CONVEYOR__Limits__emails__per-tenant__Concurrency</c>). docs/configuration.md lists them (LimitSettingsDocTests).
/// </summary>
internal sealed class LimitSettings
{
    /// <summary><c>metadata.&lt;name&gt;</c> or <c>args.&lt;field&gt;</c>; none: the whole queue.</summary>
    public string? Key { get; set; }
    public int? Concurrency { get; set; }
    public int? Rate { get; set; }
    public TimeSpan? Interval { get; set; }

    private static readonly string[] KeysRead = typeof(LimitSettings).GetProperties().Select(p => p.Name).ToArray();

    /// <summary>Every limit under <c>Limits</c>, each checked as the API checks one; problems named by key.</summary>
    public static List<ConfiguredQueueLimit> ReadAll(IConfiguration config, List<string> errors)
    {
        var list = new List<ConfiguredQueueLimit>();
        foreach (var queue in config.GetSection("Limits").GetChildren())
        {
            var queueKey = "Limits:" + queue.Key;
            if (!Names.IsValidQueue(queue.Key))
            {
                errors.Add($"{queueKey}: '{queue.Key}' is not a queue name (1 to 64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit)");
                continue;
            }
            var limits = queue.GetChildren().ToList();
            if (limits.Count > QueueLimit.MaxLimitsPerQueue)
                errors.Add($"{queueKey}: {limits.Count} limits; a queue has at most {QueueLimit.MaxLimitsPerQueue}");
            foreach (var child in limits)
            {
                var key = queueKey + ":" + child.Key;
                var before = errors.Count;
                if (child.Value is not null) errors.Add($"{key}: '{child.Value}' is not a limit: give its keys ({string.Join(", ", KeysRead)}) under {key}");
                foreach (var k in child.GetChildren())
                    if (!KeysRead.Contains(k.Key, StringComparer.OrdinalIgnoreCase))
                        errors.Add($"{key}:{k.Key}: not a limit key (the keys are {string.Join(", ", KeysRead)})");
                var s = new LimitSettings();
                OptionsBinder.Bind(config, key, s, errors);
                if (errors.Count > before) continue;
                var limit = new QueueLimit(child.Key, s.Key, s.Concurrency, s.Rate, s.Interval);
                var problems = limit.Validate();
                foreach (var e in problems)
                    errors.Add(e.Field == "name" ? $"{key}: {e.Message}" : $"{key}:{char.ToUpperInvariant(e.Field[0])}{e.Field[1..]}: {e.Message}");
                if (problems.Count == 0) list.Add(new ConfiguredQueueLimit(queue.Key, limit));
            }
        }
        return list;
    }
}
