using Conveyor.Model;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>What a producer learned of one submission.</summary>
public enum SubmitOutcome
{
    /// <summary>The broker answered 2xx with the task's id: it promised the task is durable.</summary>
    Acknowledged,
    /// <summary>The broker answered a problem that means nothing was stored (4xx, 503, 507), or the connection was refused before anything was sent.</summary>
    Refused,
    /// <summary>No answer: a timeout or a connection dropped mid-request. The task may or may not be stored.</summary>
    Unknown,
}

/// <summary>
/// One submitted task. <paramref name="Mark"/> is unique per submission and travels in the task's
/// metadata (<c>mark</c>), so an execution can be tied to its submission even when the producer never
/// learned the task id (outcome unknown).
/// </summary>
public sealed record Submission(string Mark, SubmitOutcome Outcome, string? TaskId = null);

/// <summary>One run of a handler, as the worker process recorded it before the handler started.</summary>
public sealed record Execution(string TaskId, int Attempt, string Worker, string Mark);

/// <summary>A task as read from the store at the end of a run: its state and the outcome of each attempt, in order.</summary>
public sealed record FinalTask(string Id, TaskState State, IReadOnlyList<AttemptOutcome> Attempts)
{
    public static FinalTask From(TaskRecord t) => new(t.Id, t.State, [.. t.Attempts.Select(a => a.Outcome)]);
}
