using Conveyor.Model;

namespace Conveyor.Retention;

/// <summary>
/// Retention from configuration (a broker's <c>ServerOptions.Retention</c>, <c>conveyor up|server|worker
/// --retention succeeded=1h,failed=30d --retention-max N</c>): what every process applies while the store
/// holds no policy of its own (one set through <c>PUT /api/v1/retention</c> or <c>conveyor retention set</c>
/// wins, so that every broker and worker on a store applies the same rules).
/// <code>
/// "Retention": { "Succeeded": "01:00:00", "Failed": "30.00:00:00", "MaxCount": 100000,
///                "Queues": { "emails": { "Succeeded": "00:10:00" } } }
/// </code>
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>How long a terminal task of any state is kept when nothing below says otherwise (7 days).</summary>
    public TimeSpan DefaultMaxAge { get; set; } = TaskDefaults.Retention;

    /// <summary>How long succeeded tasks are kept, in every queue. Null: <see cref="DefaultMaxAge"/>.</summary>
    public TimeSpan? Succeeded { get; set; }

    /// <summary>How long failed (dead) tasks are kept, in every queue. Null: <see cref="DefaultMaxAge"/>.</summary>
    public TimeSpan? Failed { get; set; }

    /// <summary>How long cancelled tasks are kept, in every queue. Null: <see cref="DefaultMaxAge"/>.</summary>
    public TimeSpan? Cancelled { get; set; }

    /// <summary>At most this many tasks kept per queue and terminal state (the newest). Null: no count limit.</summary>
    public long? MaxCount { get; set; }

    /// <summary>Rules of single queues, by queue name; each unset field falls back to the fields above.</summary>
    public IDictionary<string, RetentionQueueOptions> Queues { get; } = new Dictionary<string, RetentionQueueOptions>(StringComparer.Ordinal);

    /// <summary>The policy these settings describe (validated: a bad value is named in the exception).</summary>
    public RetentionPolicy ToPolicy()
    {
        var rules = new List<RetentionRule>();
        Add(rules, null, Succeeded, Failed, Cancelled, MaxCount);
        foreach (var (queue, q) in Queues) Add(rules, queue, q.Succeeded, q.Failed, q.Cancelled, q.MaxCount);
        return new RetentionPolicy { DefaultMaxAge = DefaultMaxAge, Rules = rules }.Validated();
    }

    private static void Add(List<RetentionRule> rules, string? queue, TimeSpan? succeeded, TimeSpan? failed, TimeSpan? cancelled, long? max)
    {
        foreach (var (state, age) in new[] { (TaskState.Succeeded, succeeded), (TaskState.Failed, failed), (TaskState.Cancelled, cancelled) })
            if (age is not null || max is not null) rules.Add(new RetentionRule { Queue = queue, State = state, MaxAge = age, MaxCount = max });
    }

    /// <summary>Applies the CLI's <c>--retention</c> text (see <see cref="RetentionText"/>) and <c>--retention-max</c>.</summary>
    public RetentionOptions Apply(string? rules, long? maxCount)
    {
        if (maxCount is not null) MaxCount = maxCount;
        foreach (var r in RetentionText.ParseRules(rules))
        {
            if (r.Queue is null) Set(this, r);
            else
            {
                if (!Queues.TryGetValue(r.Queue, out var q)) Queues[r.Queue] = q = new RetentionQueueOptions();
                Set(q, r);
            }
        }
        return this;
    }

    private static void Set(object target, RetentionRule r)
    {
        switch (target)
        {
            case RetentionOptions o:
                if (r.MaxAge is { } a) { if (r.State == TaskState.Succeeded) o.Succeeded = a; else if (r.State == TaskState.Failed) o.Failed = a; else o.Cancelled = a; }
                if (r.MaxCount is { } c) o.MaxCount = c;
                break;
            case RetentionQueueOptions q:
                if (r.MaxAge is { } b) { if (r.State == TaskState.Succeeded) q.Succeeded = b; else if (r.State == TaskState.Failed) q.Failed = b; else q.Cancelled = b; }
                if (r.MaxCount is { } d) q.MaxCount = d;
                break;
        }
    }
}

/// <summary>The retention of one queue; each null field falls back to <see cref="RetentionOptions"/>'s.</summary>
public sealed class RetentionQueueOptions
{
    public TimeSpan? Succeeded { get; set; }
    public TimeSpan? Failed { get; set; }
    public TimeSpan? Cancelled { get; set; }
    public long? MaxCount { get; set; }
}
