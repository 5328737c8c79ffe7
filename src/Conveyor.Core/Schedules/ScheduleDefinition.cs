using System.Text.Json;

namespace Conveyor.Schedules;

/// <summary>What happens to the ticks of a schedule that passed while no broker could submit them.</summary>
public enum MisfirePolicy
{
    /// <summary>Missed ticks are dropped; the latest one still runs when it is at most <see cref="ScheduleDefinition.Grace"/> late.</summary>
    Skip,
    /// <summary>All missed ticks together submit one task (for the latest of them).</summary>
    Once,
    /// <summary>Every missed tick submits its task, oldest first, back to <see cref="ScheduleDefinition.CatchUp"/> before now; older ones are dropped.</summary>
    CatchUp,
}

/// <summary>The task a schedule submits at each tick (the fields of a submission that make sense for every tick).</summary>
public sealed record ScheduleTask
{
    public required string Type { get; init; }
    public JsonElement? Args { get; init; }
    public string? Queue { get; init; }
    public int? Priority { get; init; }
    public int? MaxAttempts { get; init; }
    public TimeSpan? Timeout { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>
/// A recurring task: a cron expression (5 fields, or 6 with seconds first, read by Cronos) or a fixed
/// interval, in a time zone (an IANA id; cron ticks across a DST change follow Cronos: a skipped local
/// time runs at the jump, a repeated one runs once), the task to submit, and the misfire policy.
/// Validated by <see cref="Engine.TaskEngine.ScheduleUpsert"/> (<see cref="ScheduleRules"/>).
/// </summary>
public sealed record ScheduleDefinition
{
    /// <summary>Default catch-up bound: missed ticks up to an hour old are submitted.</summary>
    public static readonly TimeSpan DefaultCatchUp = TimeSpan.FromHours(1);

    /// <summary>How late a tick may be and still count as on time for <see cref="MisfirePolicy.Skip"/>.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    public required string Name { get; init; }
    public string? Cron { get; init; }
    public TimeSpan? Interval { get; init; }
    /// <summary>IANA time zone id of the cron expression; default "UTC". Unused by interval schedules.</summary>
    public string? TimeZone { get; init; }
    public required ScheduleTask Task { get; init; }
    /// <summary>Default <see cref="MisfirePolicy.CatchUp"/>.</summary>
    public MisfirePolicy? Misfire { get; init; }
    /// <summary>The bound of <see cref="MisfirePolicy.CatchUp"/>; default <see cref="DefaultCatchUp"/>.</summary>
    public TimeSpan? CatchUp { get; init; }
    /// <summary>A paused schedule submits nothing until resumed; its missed ticks are not caught up.</summary>
    public bool? Paused { get; init; }

    /// <summary>The same definition with every default filled in (what stores keep).</summary>
    public ScheduleDefinition Normalized() => this with
    {
        TimeZone = Interval is null ? TimeZone ?? "UTC" : null,
        Misfire = Misfire ?? MisfirePolicy.CatchUp,
        CatchUp = (Misfire ?? MisfirePolicy.CatchUp) == MisfirePolicy.CatchUp ? CatchUp ?? DefaultCatchUp : null,
        Paused = Paused ?? false,
    };

    /// <summary>Whether the ticks of <paramref name="other"/> fall at the same times (an edit then keeps the next run).</summary>
    public bool SameTiming(ScheduleDefinition other) =>
        Cron == other.Cron && Interval == other.Interval && TimeZone == other.TimeZone;
}

/// <summary>A stored schedule: its definition and where it stands (next and last run).</summary>
public sealed record Schedule
{
    public required ScheduleDefinition Definition { get; init; }
    public string Name => Definition.Name;
    public bool Paused { get; init; }
    /// <summary>The next tick to submit; null when the schedule will never tick again (or is paused).</summary>
    public DateTimeOffset? NextRunAt { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public string? LastTaskId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
