namespace Conveyor.Model;

/// <summary>The failure of an attempt: <c>{type, message, detail}</c>.</summary>
/// <param name="Type">A short, stable classifier: an exception type name, <c>lease_expired</c>, <c>timeout</c>, <c>cancelled</c>...</param>
/// <param name="Message">A one-line human message.</param>
/// <param name="Detail">Optional longer text (a stack trace, a response body).</param>
public sealed record TaskError(string Type, string Message, string? Detail = null)
{
    public const int MaxTypeLength = 200;
    public const int MaxMessageLength = 4_000;
    public const int MaxDetailLength = 32_000;

    public static TaskError LeaseExpired(string? workerId) =>
        new("lease_expired", $"the lease of worker '{workerId ?? "?"}' expired before the attempt was acknowledged");

    /// <summary>The reason a task ended <see cref="TaskState.Expired"/> (issue 14 item 4).</summary>
    public static TaskError NotStartedInTime(DateTimeOffset expiresAt) =>
        new("expired", $"not started before its expires_at {expiresAt:O}");

    /// <summary>Clamps the fields to their limits so that one huge stack trace cannot bloat the store.</summary>
    public TaskError Truncated() => new(
        Clip(Type, MaxTypeLength),
        Clip(Message, MaxMessageLength),
        Detail is null ? null : Clip(Detail, MaxDetailLength));

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];
}

/// <summary>Progress reported by a running handler: 0..100 and an optional message.</summary>
public sealed record TaskProgress(int Percent, string? Message = null)
{
    public const int MaxMessageLength = 1_000;
}

/// <summary>The outcome of one attempt.</summary>
public enum AttemptOutcome
{
    /// <summary>Still running (the current attempt).</summary>
    Running,
    Succeeded,
    Failed,
    /// <summary>The lease expired before the worker acknowledged: counted as a failure.</summary>
    LeaseExpired,
    /// <summary>Handed back by a draining worker: not charged as an attempt, but recorded.</summary>
    Released,
    Cancelled,
}

/// <summary>One attempt at running a task.</summary>
public sealed record AttemptRecord(
    int Number,
    string? WorkerId,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    AttemptOutcome Outcome,
    TaskError? Error = null);
