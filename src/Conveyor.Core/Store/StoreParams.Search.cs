using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Store;

// The search filters of TaskList and the params of the dashboard's task actions (retry now, delete,
// bulk actions and their audit record, dead letters grouped by error type).

public sealed partial record TaskListParams
{
    /// <summary>Only the task(s) submitted with this idempotency key.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Only tasks whose metadata holds <see cref="TagKey"/> = <see cref="TagValue"/> (both or neither).</summary>
    public string? TagKey { get; init; }

    public string? TagValue { get; init; }

    /// <summary>Only tasks whose last error's type or message contains this text (ASCII case-insensitive). Lower-cased by the engine.</summary>
    public string? Error { get; init; }

    /// <summary>Only tasks whose last error's type is exactly this.</summary>
    public string? ErrorType { get; init; }

    /// <summary>True when a search filter beyond state/queue/type is set.</summary>
    public bool IsSearch => IdempotencyKey is not null || TagKey is not null || Error is not null || ErrorType is not null;
}

public sealed partial record DeadLetterRedriveParams
{
    /// <summary>New args for the one task named by <see cref="TaskId"/> (validated by the engine as a submission's); null keeps them.</summary>
    public JsonElement? Args { get; init; }
}

public enum RetryOutcome
{
    /// <summary>Scheduled: pending now, attempts kept. Failed or cancelled: pending with the attempt count reset (history kept).</summary>
    Retried,
    NotFound,
    /// <summary>Pending, running or succeeded: nothing to retry; nothing changed.</summary>
    WrongState,
}

/// <param name="State">The task's state after the call (when found).</param>
public sealed record RetryResult(string TaskId, RetryOutcome Outcome, TaskState? State = null);

public enum DeleteOutcome
{
    Deleted,
    NotFound,
    /// <summary>Running tasks are not deleted (cancel first): nothing changed.</summary>
    Running,
}

public sealed record DeleteResult(string TaskId, DeleteOutcome Outcome);

/// <summary>One bulk action, as the audit log keeps it. <see cref="Filter"/> is the filter as JSON (null for explicit ids).</summary>
public sealed record BulkActionRecord(string Id, DateTimeOffset At, string Actor, string Action, JsonElement? Filter, int IdsCount, long Matched, long Changed)
{
    /// <summary>How many records the stores keep (the newest).</summary>
    public const int Kept = 1000;
}

/// <summary>Dead tasks of one error type: how many, the message of the latest, when the latest died.</summary>
public sealed record DeadLetterGroup(string ErrorType, long Count, string? SampleMessage, DateTimeOffset? LastAt);

/// <param name="Complete">False when the store looked at only the newest dead tasks (Redis bounds the walk); the counts are then of those.</param>
public sealed record DeadLetterGroups(IReadOnlyList<DeadLetterGroup> Groups, bool Complete = true)
{
    /// <summary>How many of the newest dead tasks per queue a bounded store walks.</summary>
    public const int ScanLimit = 10_000;
}
