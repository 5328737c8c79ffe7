using System.Text.Json;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Client.Protocol;

// Worker-side bodies. Batch items are the Core params records (TaskCompleteParams and friends), so
// the wire and the store contract cannot drift apart.

/// <summary><c>POST /api/v1/leases</c>. Durations are seconds.</summary>
public sealed record LeaseRequest
{
    public string? WorkerId { get; init; }
    public IReadOnlyList<string>? Queues { get; init; }
    public int Max { get; init; } = 1;
    public TimeSpan Wait { get; init; } = TimeSpan.Zero;
    public TimeSpan LeaseDuration { get; init; } = TaskDefaults.LeaseDuration;
}

public sealed record LeaseResponse(IReadOnlyList<LeasedTask> Tasks);

/// <summary><c>POST /api/v1/tasks/{id}/complete</c>.</summary>
public sealed record CompleteRequest(string? LeaseToken, JsonElement? Result = null);

/// <summary><c>POST /api/v1/tasks/{id}/fail</c>. Retry false: dead at once.</summary>
public sealed record FailRequest(string? LeaseToken, TaskError? Error, bool Retry = true, TimeSpan? RetryDelay = null);

/// <summary><c>POST /api/v1/tasks/{id}/heartbeat</c>: extend the lease, maybe report progress.</summary>
public sealed record HeartbeatRequest(string? LeaseToken, TimeSpan? LeaseDuration = null, TaskProgress? Progress = null);

/// <summary>Batch bodies: <c>{"items": [...]}</c>.</summary>
public sealed record CompleteManyRequest(IReadOnlyList<TaskCompleteParams> Items);
public sealed record FailManyRequest(IReadOnlyList<TaskFailParams> Items);
public sealed record HeartbeatManyRequest(IReadOnlyList<LeaseExtendParams> Items);
public sealed record ReleaseManyRequest(IReadOnlyList<TaskReleaseParams> Items);

/// <summary>Per-item outcomes of a batch acknowledgement: a stale lease is a value here, not an error.</summary>
public sealed record AckResultsResponse(IReadOnlyList<AckResult> Results);
public sealed record HeartbeatResultsResponse(IReadOnlyList<LeaseExtendResult> Results);
