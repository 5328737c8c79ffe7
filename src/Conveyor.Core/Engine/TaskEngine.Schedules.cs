using Conveyor.Model;
using Conveyor.Schedules;
using Conveyor.Store;

namespace Conveyor.Engine;

// Recurring tasks (issue 14 item 1): ScheduleUpsert/Get/List/Delete/Pause/Resume/RunNow, and ScheduleTick,
// which the maintenance loop of every broker and direct worker runs. There is no leader: each tick is
// claimed by one compare-and-set of the schedule's next run that enqueues the tick's task in the same
// store transition, with an idempotency key per schedule and tick, so however many processes tick at
// once, one of them submits it and the others change nothing.
public sealed partial class TaskEngine
{
    /// <summary>Schedules claimed per maintenance run at most (the rest are claimed at the next run).</summary>
    public const int ScheduleTickBatch = 100;

    /// <summary>
    /// Creates or replaces a schedule. An edit that keeps the timing (cron, interval, time zone) keeps the
    /// next run; a new timing starts at its first tick after now. A definition without <c>paused</c> keeps
    /// the stored paused flag. Throws <see cref="ConveyorValidationException"/>
    /// for a bad definition, before anything is stored. Returns the stored schedule and whether it was created.
    /// </summary>
    public async ValueTask<(Schedule Schedule, bool Created)> ScheduleUpsert(ScheduleDefinition definition, CancellationToken ct = default)
    {
        var errors = ScheduleRules.Validate(definition, Limits);
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
        var d = definition.Normalized();
        var existing = await Records.ScheduleGet(d.Name, ct).ConfigureAwait(false);
        // Omitted, "paused" keeps what the schedule had: a broker that stores its configured schedules at
        // start does not resume one an operator paused.
        var paused = definition.Paused ?? existing?.Paused ?? false;
        DateTimeOffset? next = paused ? null
            : existing is { Paused: false, NextRunAt: { } kept } && existing.Definition.SameTiming(d) ? kept
            : ScheduleRules.NextAfter(d, Time.GetUtcNow());
        var created = await Records.ScheduleUpsert(new ScheduleUpsertParams(d with { Paused = null }, paused, next), ct).ConfigureAwait(false);
        return (await Records.ScheduleGet(d.Name, ct).ConfigureAwait(false) ?? throw new InvalidOperationException("a schedule just stored is missing"), created);
    }

    public ValueTask<Schedule?> ScheduleGet(string name, CancellationToken ct = default) =>
        Names.IsValidType(name) ? Records.ScheduleGet(name, ct) : ValueTask.FromResult<Schedule?>(null);

    public ValueTask<IReadOnlyList<Schedule>> ScheduleList(CancellationToken ct = default) => Records.ScheduleList(ct);

    public ValueTask<bool> ScheduleDelete(string name, CancellationToken ct = default) =>
        Names.IsValidType(name) ? Records.ScheduleDelete(name, ct) : ValueTask.FromResult(false);

    /// <summary>Pauses a schedule: no tick is submitted until it is resumed. Null when there is no such schedule.</summary>
    public async ValueTask<Schedule?> SchedulePause(string name, CancellationToken ct = default)
    {
        if (!Names.IsValidType(name)) return null;
        return await Records.SchedulePause(new SchedulePauseParams(name, true, null), ct).ConfigureAwait(false)
            ? await Records.ScheduleGet(name, ct).ConfigureAwait(false) : null;
    }

    /// <summary>Resumes a schedule at its first tick after now: the ticks that passed while it was paused are not submitted.</summary>
    public async ValueTask<Schedule?> ScheduleResume(string name, CancellationToken ct = default)
    {
        if (await ScheduleGet(name, ct).ConfigureAwait(false) is not { } s) return null;
        var next = ScheduleRules.NextAfter(s.Definition, Time.GetUtcNow());
        return await Records.SchedulePause(new SchedulePauseParams(name, false, next), ct).ConfigureAwait(false)
            ? await Records.ScheduleGet(name, ct).ConfigureAwait(false) : null;
    }

    /// <summary>Submits the schedule's task now, beside its ticks (paused or not); the next run is unchanged. Null when there is no such schedule.</summary>
    public async ValueTask<EnqueueResult?> ScheduleRunNow(string name, CancellationToken ct = default)
    {
        if (await ScheduleGet(name, ct).ConfigureAwait(false) is not { } s) return null;
        var now = Time.GetUtcNow();
        var record = TaskValidator.BuildValidated(ScheduleRules.Submission(s.Definition.Task, s.Name), TaskIds.New(Time), now);
        var claim = await Records.ScheduleClaim(new ScheduleClaimParams(s.Name, null, null, [record]) { RunNow = true, LastRunAt = now }, ct).ConfigureAwait(false);
        MeterSubmitted([record], claim.Enqueued);
        return claim.Enqueued.Count == 1 ? claim.Enqueued[0] : null;
    }

    /// <summary>
    /// Claims every due schedule's ticks (by its misfire policy) and submits their tasks. Safe to run from
    /// many processes at once; returns how many tasks this call created.
    /// </summary>
    public async ValueTask<int> ScheduleTick(CancellationToken ct = default)
    {
        var due = await Records.ScheduleDue(ScheduleTickBatch, ct).ConfigureAwait(false);
        var submitted = 0;
        foreach (var s in due)
        {
            if (s.NextRunAt is not { } expected) continue;
            var now = Time.GetUtcNow();
            var (ticks, next) = ScheduleRules.Fire(s.Definition, expected, now);
            var records = ticks.Select(t => TaskValidator.BuildValidated(ScheduleRules.Submission(s.Definition.Task, s.Name, t), TaskIds.New(Time), now)).ToArray();
            var claim = await Records.ScheduleClaim(new ScheduleClaimParams(s.Name, expected, next, records)
            {
                LastRunAt = ticks.Count > 0 ? ticks[^1] : null,
            }, ct).ConfigureAwait(false);
            if (!claim.Claimed) continue;
            MeterSubmitted(records, claim.Enqueued);
            submitted += claim.Enqueued.Count(e => e.Created);
        }
        return submitted;
    }
}
