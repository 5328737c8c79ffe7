using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Store;

// One params record per store operation (River's style): adding a field never breaks a signature.

/// <summary>Lease up to <see cref="Max"/> ready tasks from <see cref="Queues"/>, in that order of preference.</summary>
/// <param name="WorkerId">Who leases; recorded on the attempt.</param>
/// <param name="Queues">Ordered: all ready work of the first queue goes before the second's.</param>
/// <param name="Max">1..<see cref="TaskDefaults.MaxLeaseBatch"/>.</param>
/// <param name="LeaseDuration">The visibility timeout: the lease deadline is now + this.</param>
/// <param name="Wait">How long to block when nothing is ready. Zero: answer at once.</param>
public sealed record TaskLeaseParams(string WorkerId, IReadOnlyList<string> Queues, int Max, TimeSpan LeaseDuration, TimeSpan Wait);

/// <summary>A task handed to a worker, with the fencing token every later call must present.</summary>
public sealed record LeasedTask(TaskRecord Task, string LeaseToken, DateTimeOffset LeaseDeadline);

public sealed record TaskCompleteParams(string TaskId, string LeaseToken, JsonElement? Result);

/// <param name="Retry">False: the handler said "fail now, no retry": the task goes dead at once.</param>
/// <param name="RetryDelay">Overrides the backoff policy for this failure (e.g. a Retry-After); null: use the policy.</param>
public sealed record TaskFailParams(string TaskId, string LeaseToken, TaskError Error, bool Retry = true, TimeSpan? RetryDelay = null);

/// <summary>Extend a lease by <see cref="Duration"/> from now; may carry progress.</summary>
public sealed record LeaseExtendParams(string TaskId, string LeaseToken, TimeSpan Duration, TaskProgress? Progress = null);

/// <summary>Hand a leased task back (graceful drain): pending again, the attempt not charged.</summary>
public sealed record TaskReleaseParams(string TaskId, string LeaseToken);

/// <summary>Browse tasks, newest first. Null filters match everything.</summary>
public sealed partial record TaskListParams(TaskState? State = null, string? Queue = null, string? Type = null, int Limit = 50, string? Cursor = null)
{
    public const int MaxLimit = 1000;
}

public sealed record TaskPage(IReadOnlyList<TaskRecord> Items, string? NextCursor);

/// <summary>Redrive dead tasks back to pending: one id, or every dead task (of one queue when given).</summary>
public sealed partial record DeadLetterRedriveParams(string? TaskId = null, string? Queue = null, int Limit = 10_000);

/// <summary>Delete dead tasks: one id, or every dead task (of one queue when given).</summary>
public sealed record DeadLetterPurgeParams(string? TaskId = null, string? Queue = null);

/// <summary>A live worker, as it reports itself on each heartbeat.</summary>
public sealed partial record WorkerInfo
{
    public required string Id { get; init; }
    public required string Host { get; init; }
    public int Pid { get; init; }
    public IReadOnlyList<string> Queues { get; init; } = [];
    public int Concurrency { get; init; }
    public IReadOnlyList<string> RunningTaskIds { get; init; } = [];
    public long Processed { get; init; }
    public long Failed { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>Set by the store on each heartbeat.</summary>
    public DateTimeOffset LastHeartbeat { get; init; }
    /// <summary>"running", "quiet" (leases nothing, finishes what it holds) or "draining" (stopping): <see cref="WorkerStatus"/>.</summary>
    public string Status { get; init; } = WorkerStatus.Running;
}

/// <summary>Counts of one queue by state, and whether it is paused.</summary>
/// <param name="OldestPendingAt">The scheduled_for of the oldest pending task (how long work has waited); null when none is pending.</param>
public sealed record QueueInfo(string Name, bool Paused, long Pending, long Scheduled, long Running, long Succeeded, long Failed, long Cancelled,
    DateTimeOffset? OldestPendingAt = null)
{
    /// <summary>Tasks ended expired (not started before their expires_at; issue 14 item 4).</summary>
    public long Expired { get; init; }
}

/// <summary>A state change, for live views (server-sent events, the dashboard) and waiters.</summary>
public sealed record TaskEvent(string TaskId, string Queue, string Type, TaskState State, DateTimeOffset At);
