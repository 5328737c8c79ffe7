using System.Text.Json;

namespace Conveyor.Model;

/// <summary>
/// What a producer asks for. Only <see cref="Type"/> is required; everything else has the defaults
/// of DESIGN §2. Validated by <see cref="Engine.TaskValidator"/> before anything is stored.
/// </summary>
public sealed record TaskSubmission
{
    public required string Type { get; init; }
    public JsonElement? Args { get; init; }
    public string? Queue { get; init; }
    public int? Priority { get; init; }
    /// <summary>Absolute time before which the task is not leased. Exclusive with <see cref="Delay"/>.</summary>
    public DateTimeOffset? RunAt { get; init; }
    public TimeSpan? Delay { get; init; }
    /// <summary>Not started by this instant, the task ends <see cref="TaskState.Expired"/> and never runs. Exclusive with <see cref="Ttl"/>.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
    /// <summary>Expiry relative to the submit time (<c>expires_at</c> = now + ttl). Exclusive with <see cref="ExpiresAt"/>.</summary>
    public TimeSpan? Ttl { get; init; }
    public int? MaxAttempts { get; init; }
    public BackoffPolicy? Backoff { get; init; }
    public TimeSpan? Timeout { get; init; }
    public string? IdempotencyKey { get; init; }
    /// <summary>
    /// Unique while active: while a task of the same queue with this key is pending, scheduled or
    /// running, a submission with it returns that task (Created=false) instead of adding one. Unlike
    /// the idempotency key it has no window: once the holder ends, the key is free again.
    /// </summary>
    public string? UniqueKey { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>The outcome of one enqueue: the stored task, and whether it was created now (false: an idempotency-key repeat).</summary>
public sealed record EnqueueResult(TaskRecord Task, bool Created);
