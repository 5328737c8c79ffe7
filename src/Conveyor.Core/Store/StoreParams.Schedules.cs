using Conveyor.Model;
using Conveyor.Schedules;

namespace Conveyor.Store;

/// <summary>The schedule to store: <see cref="Definition"/> normalized, validated and its next run computed by the engine.</summary>
public sealed record ScheduleUpsertParams(ScheduleDefinition Definition, bool Paused, DateTimeOffset? NextRunAt);

public sealed record SchedulePauseParams(string Name, bool Paused, DateTimeOffset? NextRunAt);

/// <summary>
/// One claim of a schedule's due ticks: compare the next run with <see cref="Expected"/>, move it to
/// <see cref="NextRunAt"/>, and enqueue <see cref="Tasks"/> (all in the schedule's queue), in one transition.
/// </summary>
public sealed record ScheduleClaimParams(string Name, DateTimeOffset? Expected, DateTimeOffset? NextRunAt, IReadOnlyList<TaskRecord> Tasks)
{
    /// <summary>"Run now": no compare-and-set, the next run is left as it is.</summary>
    public bool RunNow { get; init; }

    /// <summary>The tick recorded as the last run (the latest submitted); null: unchanged.</summary>
    public DateTimeOffset? LastRunAt { get; init; }
}

/// <summary>Claimed=false: the compare failed (another process had claimed the tick, or the schedule is gone or paused) and nothing was enqueued.</summary>
public sealed record ScheduleClaimResult(bool Claimed, IReadOnlyList<EnqueueResult> Enqueued);
