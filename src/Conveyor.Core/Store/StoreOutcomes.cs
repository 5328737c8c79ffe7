using Conveyor.Model;

namespace Conveyor.Store;

// Expected outcomes are values, not exceptions: a stale lease or an unknown id is an answer.

public enum AckOutcome
{
    /// <summary>The transition happened.</summary>
    Ok,
    /// <summary>No such task (never existed, or removed by retention).</summary>
    NotFound,
    /// <summary>
    /// The lease token is not the task's current one (the lease expired and the task moved on, or it
    /// was cancelled). Nothing changed. The HTTP layer answers 409.
    /// </summary>
    StaleLease,
}

/// <summary>The answer to complete/fail/release of one task.</summary>
/// <param name="State">The task's state after the call (when found).</param>
public sealed record AckResult(string TaskId, AckOutcome Outcome, TaskState? State = null, DateTimeOffset? ScheduledFor = null);

/// <summary>The answer to a lease extension.</summary>
/// <param name="CancelRequested">True when the task was cancelled while running: the worker must fire the handler's token.</param>
public sealed record LeaseExtendResult(string TaskId, AckOutcome Outcome, DateTimeOffset? LeaseDeadline = null, bool CancelRequested = false);

public enum CancelOutcome
{
    /// <summary>Pending or scheduled: cancelled at once.</summary>
    Cancelled,
    /// <summary>Running: now cancelled; the lease is fenced off and the worker learns it on its next heartbeat.</summary>
    CancelledWhileRunning,
    /// <summary>Already succeeded, failed or cancelled: nothing changed.</summary>
    AlreadyTerminal,
    NotFound,
}

public sealed record CancelResult(CancelOutcome Outcome, TaskRecord? Task);

/// <summary>What one maintenance run did.</summary>
/// <param name="Reclaimed">Expired leases reclaimed (each a failed attempt "lease_expired").</param>
public sealed record MaintenanceResult(int Promoted, int Reclaimed, int Expired)
{
    /// <summary>
    /// The reclaimed leases by queue and type, and where each went: retried (scheduled after backoff)
    /// or dead. The counts add up to <see cref="Reclaimed"/>. The engine meters lease expiries from it.
    /// </summary>
    public IReadOnlyList<MaintenanceReclaim> Reclaims { get; init; } = [];

    /// <summary>Tasks that ended <see cref="Model.TaskState.Expired"/> in this run (not started before their expires_at), by queue and type.</summary>
    public IReadOnlyList<MaintenanceExpiry> Expiries { get; init; } = [];
}

/// <summary>Tasks of one queue and type that one maintenance run ended expired (issue 14 item 4).</summary>
public sealed record MaintenanceExpiry(string Queue, string Type, int Count);

/// <summary>Expired leases of one queue and type reclaimed by one maintenance run.</summary>
public sealed record MaintenanceReclaim(string Queue, string Type, int Retried, int Dead);
