using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Workflows;

/// <summary>What a store read of one step's task found.</summary>
public readonly record struct StepObservation(TaskState State, JsonElement? Result);

/// <summary>
/// The outcome of one rule run: the new record (when changed), and what the store must do to tasks
/// in the same transition (SQLite) or right after it, idempotently (Redis): release a waiting task
/// (waiting → pending with the merged args; nothing if it is no longer waiting), or cancel one.
/// </summary>
public sealed record WorkflowChange(WorkflowRecord Workflow, bool Changed, IReadOnlyList<StepRelease> Releases, IReadOnlyList<WorkflowStep> Cancels);

public sealed record StepRelease(WorkflowStep Step, JsonElement Args);

/// <summary>
/// The workflow's rules, in one place for every store (pure: no I/O, the caller passes "now" and what
/// it read). A step is released when every step it waits for has finished: with their results merged
/// into its args (<see cref="WorkflowInput"/>). A step whose predecessor failed is skipped (cancelled)
/// unless the workflow continues on failure or the step is a batch's callback (a batch waits for all
/// of its members whatever their outcome). A failure (a step dead, cancelled on its own or skipped)
/// fails the workflow unless it is tolerated (inside a batch, or continue_on_failure): then every
/// waiting step is cancelled. When every step has finished, the workflow succeeds with its output.
/// </summary>
public static class WorkflowRules
{
    /// <summary>
    /// Records what <paramref name="observed"/> found (step index → its task's state and result) and
    /// decides what follows. Also answers the effects that a crash may have left undone, so that running
    /// it again over the same observations (maintenance) finishes them and never does one twice.
    /// </summary>
    public static WorkflowChange Advance(WorkflowRecord wf, IReadOnlyDictionary<int, StepObservation> observed, DateTimeOffset now)
    {
        var steps = wf.Steps.ToArray();
        var changed = false;
        var state = wf.State;
        string? error = wf.Error;
        var releases = new List<StepRelease>();
        var cancels = new List<WorkflowStep>();

        foreach (var (i, seen) in observed)
        {
            var s = steps[i];
            if (s.State == WorkflowStepState.Released && seen.State.IsTerminal())
            {
                steps[i] = s with
                {
                    State = seen.State switch { TaskState.Succeeded => WorkflowStepState.Succeeded, TaskState.Failed => WorkflowStepState.Failed, _ => WorkflowStepState.Cancelled },
                    Result = seen.State == TaskState.Succeeded ? seen.Result : null,
                };
                changed = true;
                if (steps[i].State != WorkflowStepState.Succeeded && !s.Tolerant && state == WorkflowState.Running)
                    (state, error) = (WorkflowState.Failed, $"step {i} ({s.Path}, task {s.TaskId}) {(seen.State == TaskState.Failed ? "failed" : "was cancelled")}");
            }
            // A decision a crash left undone: a released task still waiting, a cancelled one still not ended.
            else if (s.State == WorkflowStepState.Released && seen.State == TaskState.Waiting)
                releases.Add(new StepRelease(s, ArgsFor(s, steps)));
            else if (s.State == WorkflowStepState.Cancelled && !seen.State.IsTerminal())
                cancels.Add(s);
        }

        // Release (or skip) what is now free to go, until nothing more moves: a skip can free a later step.
        for (var moved = state == WorkflowState.Running; moved;)
        {
            moved = false;
            for (var i = 0; i < steps.Length; i++)
            {
                var s = steps[i];
                if (s.State != WorkflowStepState.Waiting || !s.After.All(a => steps[a].IsFinished)) continue;
                var runsAnyway = wf.ContinueOnFailure || s.Input is { ValueKind: JsonValueKind.Object } t && t.TryGetProperty("$batch", out _);
                if (runsAnyway || s.After.All(a => steps[a].State == WorkflowStepState.Succeeded))
                {
                    steps[i] = s with { State = WorkflowStepState.Released };
                    releases.Add(new StepRelease(steps[i], ArgsFor(s, steps)));
                }
                else
                {
                    steps[i] = s with { State = WorkflowStepState.Cancelled };
                    cancels.Add(steps[i]);
                    if (!s.Tolerant) (state, error) = (WorkflowState.Failed, $"step {i} ({s.Path}) was skipped: a step before it did not succeed");
                    moved = true;
                }
                changed = true;
            }
            if (state != WorkflowState.Running) break;
        }

        if (state == WorkflowState.Failed && wf.State == WorkflowState.Running)
            CancelWaiting(steps, cancels);

        var record = wf with { Steps = steps, State = state, Error = error };
        if (state == WorkflowState.Running && steps.All(s => s.IsFinished))
            record = record with { State = WorkflowState.Succeeded, Result = Element(WorkflowInput.Evaluate(wf.Output, steps)) };
        if (record.IsFinished && !wf.IsFinished) record = record with { FinishedAt = now };
        var settled = record.IsFinished && releases.Count == 0 && cancels.Count == 0 && Seen(record, observed);
        if (settled != wf.Settled) { record = record with { Settled = settled }; changed = true; }
        if (changed) record = record with { Version = wf.Version + 1 };
        return new WorkflowChange(changed ? record : wf, changed, releases, cancels);
    }

    /// <summary>Cancel the workflow: every step not finished is cancelled (a running one through its lease, as a task cancel).</summary>
    public static WorkflowChange Cancel(WorkflowRecord wf, DateTimeOffset now)
    {
        if (wf.IsFinished) return new WorkflowChange(wf, false, [], []);
        var steps = wf.Steps.ToArray();
        var cancels = new List<WorkflowStep>();
        for (var i = 0; i < steps.Length; i++)
        {
            if (steps[i].IsFinished) continue;
            steps[i] = steps[i] with { State = WorkflowStepState.Cancelled };
            cancels.Add(steps[i]);
        }
        var record = wf with { Steps = steps, State = WorkflowState.Cancelled, Error = "cancelled", FinishedAt = now, Version = wf.Version + 1 };
        return new WorkflowChange(record, true, [], cancels);
    }

    /// <summary>The steps a store must read to run <see cref="Advance"/> in full (maintenance): those whose task may have moved on.</summary>
    public static IEnumerable<WorkflowStep> ToObserve(WorkflowRecord wf) =>
        wf.Steps.Where(s => s.State == WorkflowStepState.Released || (s.State == WorkflowStepState.Cancelled && !wf.Settled));

    private static void CancelWaiting(WorkflowStep[] steps, List<WorkflowStep> cancels)
    {
        for (var i = 0; i < steps.Length; i++)
        {
            if (steps[i].State != WorkflowStepState.Waiting) continue;
            steps[i] = steps[i] with { State = WorkflowStepState.Cancelled };
            cancels.Add(steps[i]);
        }
    }

    // Settled only after a full observation saw every cancelled step's task ended.
    private static bool Seen(WorkflowRecord wf, IReadOnlyDictionary<int, StepObservation> observed) =>
        wf.Steps.Where(s => s.State == WorkflowStepState.Cancelled).All(s => observed.TryGetValue(s.Index, out var o) && o.State.IsTerminal());

    private static JsonElement ArgsFor(WorkflowStep s, WorkflowStep[] steps) =>
        s.Input is { } t ? WorkflowInput.Merge(s.Args, WorkflowInput.Evaluate(t, steps)) : s.Args;

    private static JsonElement? Element(System.Text.Json.Nodes.JsonNode? node) => JsonSerializer.SerializeToElement(node);
}
