using Conveyor.Schedules;

namespace Conveyor.Store;

// Recurring tasks (issue 14 item 1). The store keeps each schedule's definition and where it stands;
// the engine computes the ticks (ScheduleRules); ScheduleClaim is the one transition that submits them.
public partial interface ITaskRecords
{
    /// <summary>
    /// Creates or replaces a schedule (by name) with its definition, paused flag and next run. Keeps its
    /// last run and created time when it exists. Returns true when it was created.
    /// </summary>
    ValueTask<bool> ScheduleUpsert(ScheduleUpsertParams request, CancellationToken ct = default);

    ValueTask<Schedule?> ScheduleGet(string name, CancellationToken ct = default);

    /// <summary>Every schedule, by name.</summary>
    ValueTask<IReadOnlyList<Schedule>> ScheduleList(CancellationToken ct = default);

    /// <summary>Removes a schedule (tasks it submitted stay). False when there was none.</summary>
    ValueTask<bool> ScheduleDelete(string name, CancellationToken ct = default);

    /// <summary>Pauses (next run cleared) or resumes (next run set to <see cref="SchedulePauseParams.NextRunAt"/>). False when there is no such schedule.</summary>
    ValueTask<bool> SchedulePause(SchedulePauseParams request, CancellationToken ct = default);

    /// <summary>Up to <paramref name="max"/> unpaused schedules whose next run is at or before now, earliest first.</summary>
    ValueTask<IReadOnlyList<Schedule>> ScheduleDue(int max, CancellationToken ct = default);

    /// <summary>
    /// The tick transition, atomic (one SQLite transaction, one Redis script): when the schedule's next
    /// run still equals <see cref="ScheduleClaimParams.Expected"/> and it is not paused (compare-and-set),
    /// sets the next run to <see cref="ScheduleClaimParams.NextRunAt"/>, the last run and last task, and
    /// enqueues <see cref="ScheduleClaimParams.Tasks"/> (each with an idempotency key per schedule and
    /// tick) in the same transition. Otherwise nothing changes (another process claimed the tick).
    /// With <see cref="ScheduleClaimParams.RunNow"/>, no compare: the tasks are enqueued and the last run
    /// recorded, the next run untouched.
    /// </summary>
    ValueTask<ScheduleClaimResult> ScheduleClaim(ScheduleClaimParams request, CancellationToken ct = default);
}
