using Conveyor.Engine;
using Conveyor.Model;
using Cronos;

namespace Conveyor.Schedules;

/// <summary>
/// The timing rules of schedules, pure functions of a definition and times: when the next tick falls,
/// and which ticks a late claim submits under the misfire policy. Cron expressions are read by Cronos
/// (5 fields, or 6 with seconds first); time zones are IANA ids.
/// </summary>
public static class ScheduleRules
{
    /// <summary>At most this many ticks are submitted by one claim; a longer catch-up continues at the next maintenance run.</summary>
    public const int MaxTicksPerClaim = 100;

    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(366);
    public static readonly TimeSpan MaxCatchUp = TimeSpan.FromDays(7);

    /// <summary>The problems of a definition, field by field (empty when valid).</summary>
    public static List<ValidationError> Validate(ScheduleDefinition d, TaskLimits limits)
    {
        var errors = new List<ValidationError>();
        if (Names.CheckType(d.Name) is not null)
            errors.Add(new("name", $"'{d.Name}' is not a valid schedule name: it must match {Names.TypePattern}"));
        if ((d.Cron is null) == (d.Interval is null))
            errors.Add(new("cron", "give either cron or interval"));
        if (d.Cron is not null && ParseCron(d.Cron) is null)
            errors.Add(new("cron", $"'{d.Cron}' is not a cron expression: 5 fields (minute hour day month weekday) or 6 with seconds first"));
        if (d.Interval is { } i && (i < MinInterval || i > MaxInterval))
            errors.Add(new("interval", $"interval must be between {MinInterval.TotalSeconds} and {MaxInterval.TotalSeconds} seconds; got {i.TotalSeconds}"));
        if (d.Interval is not null && d.TimeZone is not null)
            errors.Add(new("time_zone", "time_zone applies to cron schedules only"));
        if (d.TimeZone is not null && FindZone(d.TimeZone) is null)
            errors.Add(new("time_zone", $"'{d.TimeZone}' is not a known IANA time zone id (e.g. Europe/Paris, UTC)"));
        if (d.CatchUp is { } c && (c <= TimeSpan.Zero || c > MaxCatchUp))
            errors.Add(new("catch_up", $"catch_up must be more than 0 and at most {MaxCatchUp.TotalSeconds} seconds"));
        if (d.CatchUp is not null && d.Misfire is not null and not MisfirePolicy.CatchUp)
            errors.Add(new("catch_up", "catch_up applies to the catch_up misfire policy only"));
        if (d.Task is null) errors.Add(new("task", "give the task to submit (at least its type)"));
        else
            foreach (var e in TaskValidator.Validate(Submission(d.Task), limits, "task."))
                errors.Add(e);
        return errors;
    }

    /// <summary>The first tick strictly after <paramref name="after"/>; null when there is none (a cron date that never comes).</summary>
    public static DateTimeOffset? NextAfter(ScheduleDefinition d, DateTimeOffset after)
    {
        if (d.Interval is { } interval)
        {
            // Interval ticks fall at whole multiples of the interval since the Unix epoch, so every broker
            // computes the same ticks from any time (every 60 s: on the minute).
            var k = Math.DivRem((after - DateTimeOffset.UnixEpoch).Ticks, interval.Ticks, out var rem) + 1;
            if (rem < 0) k--;
            return DateTimeOffset.UnixEpoch + TimeSpan.FromTicks(k * interval.Ticks);
        }
        var cron = ParseCron(d.Cron!) ?? throw new InvalidOperationException($"stored cron '{d.Cron}' does not parse");
        var zone = FindZone(d.TimeZone ?? "UTC") ?? TimeZoneInfo.Utc;
        return cron.GetNextOccurrence(after, zone, inclusive: false);
    }

    /// <summary>
    /// What a claim of a schedule whose next tick is <paramref name="next"/> (at or before <paramref name="now"/>)
    /// submits: the ticks by the misfire policy, and the next tick after them. Ticks are whole times;
    /// a tick is late by now - tick.
    /// </summary>
    public static (IReadOnlyList<DateTimeOffset> Ticks, DateTimeOffset? Next) Fire(ScheduleDefinition d, DateTimeOffset next, DateTimeOffset now)
    {
        switch (d.Misfire ?? MisfirePolicy.CatchUp)
        {
            case MisfirePolicy.Once:
            {
                var latest = Latest(d, next, now);
                return ([latest], NextAfter(d, latest));
            }
            case MisfirePolicy.Skip:
            {
                var latest = Latest(d, next, now);
                return (now - latest <= ScheduleDefinition.Grace ? [latest] : [], NextAfter(d, latest));
            }
            default:
            {
                // Ticks older than the bound are passed over without a submission; the walk starts at the
                // first tick within it (a per-second cron a week behind does not walk the whole week).
                var bound = d.CatchUp ?? ScheduleDefinition.DefaultCatchUp;
                DateTimeOffset? at = now - bound > next ? NextAfter(d, now - bound - TimeSpan.FromTicks(1)) : next;
                var due = new List<DateTimeOffset>();
                while (at is { } t && t <= now && due.Count < MaxTicksPerClaim)
                {
                    due.Add(t);
                    at = NextAfter(d, t);
                }
                // Capped: the next tick is still due, and the next maintenance run goes on from it.
                return (due, at);
            }
        }
    }

    /// <summary>The latest tick at or before <paramref name="now"/>, from <paramref name="next"/> on.</summary>
    private static DateTimeOffset Latest(ScheduleDefinition d, DateTimeOffset next, DateTimeOffset now)
    {
        if (d.Interval is { } interval)
            return next + TimeSpan.FromTicks((now - next).Ticks / interval.Ticks * interval.Ticks);
        var cron = ParseCron(d.Cron!)!;
        var zone = FindZone(d.TimeZone ?? "UTC") ?? TimeZoneInfo.Utc;
        return cron.GetPreviousOccurrence(now, zone, inclusive: true) is { } p && p >= next ? p : next;
    }

    /// <summary>The submission of one tick: the schedule's task with an idempotency key per schedule and tick.</summary>
    public static TaskSubmission Submission(ScheduleTask t, string? schedule = null, DateTimeOffset? tick = null)
    {
        var metadata = t.Metadata;
        if (schedule is not null)
        {
            var m = metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(metadata);
            m["schedule"] = schedule;
            if (tick is { } at) m["schedule_tick"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
            metadata = m;
        }
        return new TaskSubmission
        {
            Type = t.Type,
            Args = t.Args,
            Queue = t.Queue,
            Priority = t.Priority,
            MaxAttempts = t.MaxAttempts,
            Timeout = t.Timeout,
            Metadata = metadata,
            IdempotencyKey = schedule is null ? null : tick is { } s ? TickKey(schedule, s) : null,
        };
    }

    /// <summary>The idempotency key of one tick: a second claim of the same tick can never make a second task.</summary>
    public static string TickKey(string schedule, DateTimeOffset tick) =>
        $"schedule:{schedule}:{tick.ToUnixTimeMilliseconds()}";

    internal static CronExpression? ParseCron(string text)
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var format = fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        return fields is 5 or 6 && CronExpression.TryParse(text, format, out var cron) ? cron : null;
    }

    internal static TimeZoneInfo? FindZone(string id)
    {
        if (id is "UTC" or "Etc/UTC") return TimeZoneInfo.Utc;
        try { return TimeZoneInfo.FindSystemTimeZoneById(id); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException) { return null; }
    }
}
