using Conveyor.Model;

namespace Conveyor.Client.Protocol;

// Producer-side bodies. A single submission is the Core TaskSubmission itself; tasks, pages and
// enqueue results are the Core records, serialised with ConveyorJson (snake_case).

/// <summary><c>POST /api/v1/tasks/batch</c>: all or nothing.</summary>
public sealed record SubmitBatchRequest(IReadOnlyList<TaskSubmission> Tasks);

/// <summary>The answer to a batch: one result per submission, in order (<c>created</c> false: an idempotency repeat).</summary>
public sealed record SubmitBatchResponse(IReadOnlyList<EnqueueResult> Results);

/// <summary>A count of dead letters moved or removed.</summary>
public sealed record CountResponse(int Count);

public sealed record QueueListResponse(IReadOnlyList<QueueView> Queues);

/// <summary>
/// A queue as <c>GET /api/v1/queues</c> shows it: counts by state, paused, last-minute rates, when its
/// oldest pending task became due (null: none pending), and how many live workers consume it.
/// </summary>
public sealed record QueueView(string Name, bool Paused, long Pending, long Scheduled, long Running, long Succeeded, long Failed, long Cancelled,
    long SucceededPerMinute, long FailedPerMinute,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] DateTimeOffset? OldestPendingAt = null,
    int Workers = 0,
    long Expired = 0);

/// <summary><c>GET /api/v1/history</c>: one bucket per minute, oldest first, zeros filled.</summary>
public sealed record HistoryListResponse(IReadOnlyList<Conveyor.Store.HistoryBucket> Buckets);

/// <summary><c>GET /api/v1/workers</c>: live workers, and those silent for longer than the live window (within an hour).</summary>
public sealed record WorkerListResponse(IReadOnlyList<Conveyor.Store.WorkerInfo> Workers, IReadOnlyList<Conveyor.Store.WorkerInfo>? Silent = null);

/// <summary>The body of <c>/readyz</c> and <c>/healthz</c>.</summary>
/// <summary>
/// <c>/healthz</c> and <c>/readyz</c>. When not ready, <c>reason</c> is one of <c>store_unreachable</c>,
/// <c>eviction_policy</c>, <c>disk_full</c> and <c>detail</c> says what to do about it.
/// </summary>
public sealed record HealthResponse(string Status, string? Store = null, string? Reason = null, string? Detail = null);
