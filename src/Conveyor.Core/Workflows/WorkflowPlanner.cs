using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Workflows;

/// <summary>
/// Turns a submitted tree into the graph the store keeps: one task per step (first steps pending,
/// every other one <see cref="TaskState.Waiting"/>), each with the template of its input. Pure: the
/// caller supplies ids and the time. Invalid input throws <see cref="ConveyorValidationException"/>
/// with every problem listed and its path in the tree.
/// </summary>
public static class WorkflowPlanner
{
    public const int MaxSteps = 1000;
    public const int MaxNameLength = 200;
    /// <summary>Metadata every step's task carries: its workflow's id and its index in it.</summary>
    public const string WorkflowKey = "conveyor.workflow";
    public const string StepKey = "conveyor.step";

    public sealed record Plan(WorkflowRecord Workflow, IReadOnlyList<TaskRecord> Tasks);

    public static Plan Build(WorkflowSubmission submission, string workflowId, Func<string> newTaskId, DateTimeOffset now, TaskLimits limits)
    {
        var b = new Builder(workflowId, newTaskId, now, limits);
        if (submission.Name is { Length: 0 or > MaxNameLength })
            b.Errors.Add(new ValidationError("name", $"name must be 1 to {MaxNameLength} characters"));
        var output = b.Compile(submission.Root, null, submission.ContinueOnFailure, "workflow");
        if (b.Errors.Count > 0) throw new ConveyorValidationException(b.Errors) { IsTooLarge = b.Errors.All(e => e.Message.Contains("the limit is", StringComparison.Ordinal)) };
        var wf = new WorkflowRecord
        {
            Id = workflowId,
            Name = submission.Name,
            State = WorkflowState.Running,
            ContinueOnFailure = submission.ContinueOnFailure,
            CreatedAt = now,
            Output = output,
            Steps = b.Steps,
            Batches = b.Batches,
        };
        return new Plan(wf, b.Tasks);
    }

    private sealed class Builder(string workflowId, Func<string> newTaskId, DateTimeOffset now, TaskLimits limits)
    {
        public List<ValidationError> Errors { get; } = [];
        public List<WorkflowStep> Steps { get; } = [];
        public List<TaskRecord> Tasks { get; } = [];
        public List<JsonElement> Batches { get; } = [];

        public JsonElement Compile(WorkflowNode node, JsonElement? input, bool tolerant, string path)
        {
            switch (node)
            {
                case WorkflowStepNode s: return AddStep(s.Task, input, tolerant, path);
                case WorkflowChainNode c:
                    if (c.Steps.Count == 0) return Refuse(path + ".chain", "a chain needs at least one step");
                    for (var i = 0; i < c.Steps.Count; i++) input = Compile(c.Steps[i], input, tolerant, $"{path}.chain[{i}]");
                    return input!.Value;
                case WorkflowGroupNode g:
                {
                    if (g.Members.Count == 0) return Refuse(path + ".group", "a group needs at least one member");
                    var outs = g.Members.Select((m, i) => Compile(m, input, tolerant, $"{path}.group[{i}]")).ToList();
                    var all = WorkflowInput.List(outs);
                    return g.Callback is { } cb ? Compile(cb, all, tolerant, path + ".callback") : all;
                }
                case WorkflowBatchNode bt:
                {
                    if (bt.Members.Count == 0) return Refuse(path + ".batch", "a batch needs at least one member");
                    var outs = bt.Members.Select((m, i) => Compile(m, input, tolerant: true, $"{path}.batch[{i}]")).ToList();
                    var summary = WorkflowInput.BatchOf(outs);
                    Batches.Add(summary);
                    return bt.Callback is { } cb ? Compile(cb, summary, tolerant, path + ".callback") : summary;
                }
                default: return Refuse(path, "unknown node");
            }
        }

        private JsonElement AddStep(TaskSubmission s, JsonElement? input, bool tolerant, string path)
        {
            var index = Steps.Count;
            if (index == MaxSteps) return Refuse(path, $"a workflow holds at most {MaxSteps} steps");
            if (s.IdempotencyKey is not null) Errors.Add(new ValidationError(path + ".idempotency_key", "a workflow step takes no idempotency_key"));
            var meta = s.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(s.Metadata);
            meta[WorkflowKey] = workflowId;
            meta[StepKey] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s = s with { Metadata = meta };
            var found = TaskValidator.Validate(s, limits, path + ".");
            if (found.Count > 0) { Errors.AddRange(found); return WorkflowInput.StepRef(index); }
            var task = TaskValidator.BuildValidated(s, newTaskId(), now);
            if (input is not null) task = task with { State = TaskState.Waiting, ScheduledFor = now };
            Tasks.Add(task);
            Steps.Add(new WorkflowStep(index, task.Id, path, task.Type, task.Queue, task.Args, input, tolerant,
                input is null ? WorkflowStepState.Released : WorkflowStepState.Waiting, input is { } t ? WorkflowInput.Refs(t) : []));
            return WorkflowInput.StepRef(index);
        }

        private JsonElement Refuse(string path, string message)
        {
            Errors.Add(new ValidationError(path, message));
            return WorkflowInput.List([]);
        }
    }
}
