using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Model;

namespace Conveyor.Retention;

/// <summary>
/// How long terminal tasks are kept, per queue and per terminal state, by age and by count (issue 11
/// item 7). A rule names a state (<c>succeeded</c>, <c>failed</c> (dead), <c>cancelled</c>, <c>expired</c>) and
/// optionally a queue (null: every queue); each of its fields falls back, one by one, from the
/// queue's rule to the every-queue rule of that state, then to <see cref="DefaultMaxAge"/> (age) or
/// to no limit (count).
/// <code>
/// new RetentionPolicy { Rules = [new() { State = TaskState.Succeeded, MaxAge = TimeSpan.FromHours(1) },
///                                new() { State = TaskState.Failed, MaxAge = TimeSpan.FromDays(30) },
///                                new() { Queue = "emails", State = TaskState.Succeeded, MaxCount = 1000 }] }
/// </code>
/// </summary>
public sealed record RetentionPolicy
{
    /// <summary>The terminal states retention applies to, in the order rules are listed.</summary>
    public static readonly IReadOnlyList<TaskState> States = [TaskState.Succeeded, TaskState.Failed, TaskState.Cancelled, TaskState.Expired];

    /// <summary>The longest age a rule may give (10 years).</summary>
    public static readonly TimeSpan MaxAgeLimit = TimeSpan.FromDays(3650);

    /// <summary>The age of every state of every queue no rule speaks of (DESIGN §3: 7 days).</summary>
    public TimeSpan DefaultMaxAge { get; init; } = TaskDefaults.Retention;

    public IReadOnlyList<RetentionRule> Rules { get; init; } = [];

    /// <summary>One age for everything, no count limit: what a plain retention window means.</summary>
    public static RetentionPolicy Uniform(TimeSpan maxAge) => new() { DefaultMaxAge = maxAge };

    /// <summary>What applies to <paramref name="state"/> in <paramref name="queue"/>.</summary>
    public RetentionLimit For(string queue, TaskState state)
    {
        RetentionRule? own = null, every = null;
        foreach (var r in Rules)
        {
            if (r.State != state) continue;
            if (r.Queue == queue) own = r;
            else if (r.Queue is null) every = r;
        }
        return new RetentionLimit(own?.MaxAge ?? every?.MaxAge ?? DefaultMaxAge, own?.MaxCount ?? every?.MaxCount);
    }

    /// <summary>The queues that have rules of their own.</summary>
    public IEnumerable<string> NamedQueues => Rules.Where(r => r.Queue is not null).Select(r => r.Queue!).Distinct(StringComparer.Ordinal);

    /// <summary>Refuses an impossible policy with one error per bad field (nothing is changed by a refused policy).</summary>
    public RetentionPolicy Validated()
    {
        var errors = new List<ValidationError>();
        if (DefaultMaxAge <= TimeSpan.Zero || DefaultMaxAge > MaxAgeLimit)
            errors.Add(new("default_max_age", $"default_max_age must be more than 0 and at most 3650d; got {RetentionText.Format(DefaultMaxAge)}"));
        var seen = new HashSet<(string?, TaskState)>();
        for (var i = 0; i < Rules.Count; i++)
        {
            var r = Rules[i];
            var at = $"rules[{i}]";
            if (r.Queue is not null && Names.CheckQueue(r.Queue) is { } qe) errors.Add(new($"{at}.queue", qe));
            if (!r.State.IsTerminal()) errors.Add(new($"{at}.state", $"state must be succeeded, failed, cancelled or expired; got {r.State.ToWire()}"));
            if (r.MaxAge is { } age && (age <= TimeSpan.Zero || age > MaxAgeLimit))
                errors.Add(new($"{at}.max_age", $"max_age must be more than 0 and at most 3650d; got {RetentionText.Format(age)}"));
            if (r.MaxCount is < 0) errors.Add(new($"{at}.max_count", $"max_count must be 0 or more; got {r.MaxCount}"));
            if (r.MaxAge is null && r.MaxCount is null) errors.Add(new(at, "a rule needs max_age, max_count or both"));
            if (!seen.Add((r.Queue, r.State))) errors.Add(new(at, $"a second rule for queue '{r.Queue ?? "*"}' and state {r.State.ToWire()}"));
        }
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
        return this;
    }

    /// <summary>The stored form (the same JSON in every store).</summary>
    public string ToJson() => JsonSerializer.Serialize(RetentionDocument.From(this), ConveyorJson.Options);

    public static RetentionPolicy FromJson(string json) =>
        (JsonSerializer.Deserialize<RetentionDocument>(json, ConveyorJson.Options) ?? new RetentionDocument()).ToPolicy();
}

/// <summary>One rule: <see cref="State"/> of <see cref="Queue"/> (null: of every queue).</summary>
public sealed record RetentionRule
{
    public string? Queue { get; init; }
    public TaskState State { get; init; }
    /// <summary>Delete tasks finished longer ago than this. Null: the every-queue rule's, or the default.</summary>
    public TimeSpan? MaxAge { get; init; }
    /// <summary>Keep at most this many (the newest); the oldest beyond it go. Null: the every-queue rule's, or no limit.</summary>
    public long? MaxCount { get; init; }
}

/// <summary>What applies to one state of one queue.</summary>
public readonly record struct RetentionLimit(TimeSpan MaxAge, long? MaxCount);
