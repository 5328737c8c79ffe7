using System.Text.Json;

namespace Conveyor.Workflows;

public enum WorkflowState
{
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>Where one step is, as the workflow records it.</summary>
public enum WorkflowStepState
{
    /// <summary>Its task exists in state waiting: a predecessor has not finished.</summary>
    Waiting,
    /// <summary>Released: its task was made pending (and may be running). The workflow learns its outcome when it ends.</summary>
    Released,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// A workflow as the store keeps it (one document) and the API shows it. Changed only through
/// <see cref="WorkflowRules"/>, inside one store transition.
/// </summary>
public sealed record WorkflowRecord
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required WorkflowState State { get; init; }
    public bool ContinueOnFailure { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>The root's result when succeeded (for a chain: its last step's).</summary>
    public JsonElement? Result { get; init; }
    /// <summary>Why it failed or was cancelled.</summary>
    public string? Error { get; init; }
    /// <summary>The shape of the workflow's result (an input template, see <see cref="WorkflowInput"/>).</summary>
    public required JsonElement Output { get; init; }
    public required IReadOnlyList<WorkflowStep> Steps { get; init; }
    /// <summary>Each batch of the tree, as the template of its members (for its progress).</summary>
    public IReadOnlyList<JsonElement> Batches { get; init; } = [];
    /// <summary>Bumped by every change; the Redis store writes a change only over the version it read.</summary>
    public long Version { get; init; }
    /// <summary>True once every decision (release, cancel) is known to be carried out in the tasks: maintenance stops looking.</summary>
    public bool Settled { get; init; }

    public bool IsFinished => State != WorkflowState.Running;
}

/// <summary>One step: a task, and what it receives from the steps before it.</summary>
/// <param name="Path">Where it sits in the submitted tree, e.g. <c>chain[1].group[0]</c>.</param>
/// <param name="Args">The args as submitted; the task gets them merged with its input when released.</param>
/// <param name="Input">The template of its input (null: a first step, it receives nothing).</param>
/// <param name="Tolerant">Its failure does not fail the workflow (a batch member, or continue_on_failure).</param>
/// <param name="After">The steps it waits for (read from <paramref name="Input"/>), for graphs.</param>
public sealed record WorkflowStep(int Index, string TaskId, string Path, string Type, string Queue, JsonElement Args, JsonElement? Input,
    bool Tolerant, WorkflowStepState State, IReadOnlyList<int> After)
{
    public JsonElement? Result { get; init; }
    /// <summary>The step's task state when read for a view (not stored).</summary>
    public Model.TaskState? TaskState { get; init; }

    public bool IsFinished => State is WorkflowStepState.Succeeded or WorkflowStepState.Failed or WorkflowStepState.Cancelled;
}

/// <summary>The workflow's counts for a view: steps by where they are, and each batch's progress.</summary>
public sealed record WorkflowProgress(int Total, int Finished, int Succeeded, int Failed, IReadOnlyList<BatchProgress> Batches);

/// <summary>One batch: members finished of total (a member is finished when all its steps are).</summary>
public sealed record BatchProgress(int Index, int Total, int Finished, int Succeeded, int Failed, int Percent);
