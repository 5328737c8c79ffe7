using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Schedules;
using Microsoft.Extensions.Configuration;

namespace Conveyor.Cli.Configuration;

/// <summary>
/// One schedule of the configuration: the keys under <c>Schedules:&lt;name&gt;</c> (appsettings.json's
/// <c>"Schedules": { "nightly": { "Cron": "0 3 * * *", "Type": "report.build" } }</c>, or
/// <c>CONVEYOR__Schedules__nightly__Cron</c>). docs/configuration.md lists them (ScheduleSettingsDocTests).
/// </summary>
internal sealed class ScheduleSettings
{
    public string? Cron { get; set; }
    public TimeSpan? Interval { get; set; }
    public string? TimeZone { get; set; }
    public string? Type { get; set; }
    public string? Queue { get; set; }
    /// <summary>The task's args as JSON text.</summary>
    public string? Args { get; set; }
    public int? Priority { get; set; }
    public int? MaxAttempts { get; set; }
    public TimeSpan? Timeout { get; set; }
    /// <summary>skip, once or catch_up.</summary>
    public string? Misfire { get; set; }
    public TimeSpan? CatchUp { get; set; }
    public bool? Paused { get; set; }

    /// <summary>Every schedule under <c>Schedules</c>, each checked as the API checks one; problems named by key.</summary>
    public static List<ScheduleDefinition> ReadAll(IConfiguration config, List<string> errors)
    {
        var list = new List<ScheduleDefinition>();
        foreach (var child in config.GetSection("Schedules").GetChildren())
        {
            var key = "Schedules:" + child.Key;
            var s = new ScheduleSettings();
            var before = errors.Count;
            OptionsBinder.Bind(config, key, s, errors);
            if (errors.Count > before) continue;
            if (s.ToDefinition(child.Key, key, errors) is not { } d) continue;
            foreach (var e in ScheduleRules.Validate(d, TaskLimits.Default))
                errors.Add($"{key}:{Key(e.Field)}: {e.Message}");
            list.Add(d);
        }
        return list;
    }

    private ScheduleDefinition? ToDefinition(string name, string key, List<string> errors)
    {
        JsonElement? args = null;
        if (Args is not null)
        {
            try { args = JsonDocument.Parse(Args).RootElement.Clone(); }
            catch (JsonException e) { errors.Add($"{key}:Args: '{Args}' is not JSON ({e.Message})"); return null; }
        }
        MisfirePolicy? misfire = Misfire switch
        {
            null => null,
            "skip" => MisfirePolicy.Skip,
            "once" => MisfirePolicy.Once,
            "catch_up" => MisfirePolicy.CatchUp,
            _ => null,
        };
        if (Misfire is not null && misfire is null) { errors.Add($"{key}:Misfire: '{Misfire}' is not skip, once or catch_up"); return null; }
        if (Type is null) { errors.Add($"{key}:Type: give the task type the schedule submits"); return null; }
        return new ScheduleDefinition
        {
            Name = name, Cron = Cron, Interval = Interval, TimeZone = TimeZone, Misfire = misfire, CatchUp = CatchUp, Paused = Paused,
            Task = new ScheduleTask { Type = Type, Queue = Queue, Args = args, Priority = Priority, MaxAttempts = MaxAttempts, Timeout = Timeout },
        };
    }

    /// <summary>The configuration key of an API field name (task.max_attempts → MaxAttempts).</summary>
    private static string Key(string field) => string.Concat((field.StartsWith("task.", StringComparison.Ordinal) ? field[5..] : field)
        .Split('_').Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
}
