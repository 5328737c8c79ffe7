namespace Conveyor.Model;

/// <summary>
/// The lifecycle state of a task (DESIGN §3). Serialised as lower-case strings on the wire.
/// </summary>
public enum TaskState
{
    /// <summary>Ready to be leased.</summary>
    Pending,
    /// <summary>Waiting for <c>scheduled_for</c>: submitted with a delay, or waiting out a retry backoff.</summary>
    Scheduled,
    /// <summary>Leased by a worker; the lease has a deadline and a fencing token.</summary>
    Running,
    /// <summary>Terminal: completed with a result.</summary>
    Succeeded,
    /// <summary>Terminal: dead, in the dead-letter queue. May be redriven back to pending.</summary>
    Failed,
    /// <summary>Terminal: cancelled before or while running.</summary>
    Cancelled,
    /// <summary>A workflow step held until the steps before it finish (never leased while waiting).</summary>
    Waiting,
    /// <summary>Terminal: not started before its <c>expires_at</c> (DESIGN §2); it never ran.</summary>
    Expired,
}

public static class TaskStates
{
    public static bool IsTerminal(this TaskState state) =>
        state is TaskState.Succeeded or TaskState.Failed or TaskState.Cancelled or TaskState.Expired;

    /// <summary>The wire name of a state ("pending", "scheduled", ...).</summary>
    public static string ToWire(this TaskState state) => state switch
    {
        TaskState.Pending => "pending",
        TaskState.Scheduled => "scheduled",
        TaskState.Running => "running",
        TaskState.Succeeded => "succeeded",
        TaskState.Failed => "failed",
        TaskState.Cancelled => "cancelled",
        TaskState.Waiting => "waiting",
        TaskState.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParse(string? text, out TaskState state)
    {
        switch (text)
        {
            case "pending": state = TaskState.Pending; return true;
            case "scheduled": state = TaskState.Scheduled; return true;
            case "running": state = TaskState.Running; return true;
            case "succeeded": state = TaskState.Succeeded; return true;
            case "failed": state = TaskState.Failed; return true;
            case "cancelled": state = TaskState.Cancelled; return true;
            case "waiting": state = TaskState.Waiting; return true;
            case "expired": state = TaskState.Expired; return true;
            default: state = default; return false;
        }
    }

    public static IReadOnlyList<TaskState> All { get; } =
        [TaskState.Pending, TaskState.Scheduled, TaskState.Running, TaskState.Succeeded, TaskState.Failed, TaskState.Cancelled, TaskState.Waiting, TaskState.Expired];
}
