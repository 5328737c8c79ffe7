using System.Text.Json;

namespace Conveyor.Model;

/// <summary>
/// A task as the store keeps it and the API shows it (DESIGN §2). Immutable: every transition
/// produces a new record inside the store.
/// </summary>
public sealed record TaskRecord
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public required string Queue { get; init; }
    /// <summary>The arguments: any JSON value, never bound to a type named by the payload.</summary>
    public required JsonElement Args { get; init; }
    public int Priority { get; init; }
    public required TaskState State { get; init; }
    public int Attempt { get; init; }
    public int MaxAttempts { get; init; } = TaskDefaults.MaxAttempts;
    public BackoffPolicy Backoff { get; init; } = BackoffPolicy.Default;
    public TimeSpan Timeout { get; init; } = TaskDefaults.Timeout;
    public string? IdempotencyKey { get; init; }
    /// <summary>The unique-while-active key (<see cref="TaskSubmission.UniqueKey"/>); not carried on a leased task's record by every store.</summary>
    public string? UniqueKey { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata;
    public JsonElement? Result { get; init; }
    public TaskError? Error { get; init; }
    public TaskProgress? Progress { get; init; }
    public IReadOnlyList<AttemptRecord> Attempts { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Not leased before this time (the submit time for an immediate task).</summary>
    public required DateTimeOffset ScheduledFor { get; init; }
    /// <summary>Not started by then, the task ends <see cref="TaskState.Expired"/> (null: never expires).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>The worker holding the current lease, while running.</summary>
    public string? WorkerId { get; init; }
    /// <summary>The current lease deadline, while running.</summary>
    public DateTimeOffset? LeaseDeadline { get; init; }

    /// <summary>
    /// The trace id of the submit that created this task (from its <c>traceparent</c> metadata), to
    /// find the task's spans in a tracing backend (<c>trace_id</c> in the HTTP view); null when it was
    /// submitted outside any trace.
    /// </summary>
    public string? TraceId => Diagnostics.ConveyorDiagnostics.TraceIdOf(Metadata.GetValueOrDefault(Diagnostics.ConveyorDiagnostics.TraceParentKey));

    public static IReadOnlyDictionary<string, string> EmptyMetadata { get; } = new Dictionary<string, string>();
}

/// <summary>The defaults of DESIGN §2, in one place.</summary>
public static class TaskDefaults
{
    public const string Queue = "default";
    public const int MaxAttempts = 5;
    public const int MaxAttemptsLimit = 1000;
    public const int MinPriority = 0;
    public const int MaxPriority = 9;
    public const int DefaultPriority = 0;
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(365);
    /// <summary>How far in the past a submitted expires_at may be (clock differences) before it is refused.</summary>
    public static readonly TimeSpan ExpiryPastTolerance = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxLeaseDuration = TimeSpan.FromHours(1);
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);
    public const int MaxArgsBytes = 1024 * 1024;
    public const int MaxResultBytes = 1024 * 1024;
    public const int MaxMetadataEntries = 32;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 1024;
    public const int MaxIdempotencyKeyLength = 200;
    public const int MaxLeaseBatch = 1000;
    public const int MaxEnqueueBatch = 10_000;
}
