using System.Collections.Concurrent;
using Conveyor.Model;
using Conveyor.Store;
using Conveyor.Workflows;

namespace Conveyor.Engine;

public sealed partial class TaskEngine
{
    /// <summary>How many unsettled workflows one maintenance run looks at.</summary>
    public const int WorkflowSweepBatch = 100;

    // Lease token -> workflow id, for the leases of workflow steps this engine handed out: after the
    // step's ack the engine advances its workflow at once (Redis; SQLite already did in the ack's own
    // transaction). Empty, and never touched by an ack, while no workflow step is leased: a task outside
    // a workflow costs one metadata lookup at lease time. An ack through another broker, or a step that
    // ended by a lease expiry, is advanced by maintenance (WorkflowSweep) instead.
    private readonly ConcurrentDictionary<string, (string Workflow, long LeasedAt)> _stepLeases = new(StringComparer.Ordinal);

    /// <summary>
    /// Submit a workflow: validated and planned as a whole (all or nothing), then stored with one task
    /// per step. Answers the stored record.
    /// </summary>
    public async ValueTask<WorkflowRecord> WorkflowSubmit(WorkflowSubmission submission, CancellationToken ct = default)
    {
        var now = Time.GetUtcNow();
        var plan = WorkflowPlanner.Build(submission, TaskIds.New(Time), () => TaskIds.New(Time), now, Limits);
        var started = Time.GetTimestamp();
        await Records.WorkflowCreate(plan.Workflow, plan.Tasks, ct).ConfigureAwait(false);
        StoreTook(StoreOperations.WorkflowCreate, started);
        MeterSubmitted([.. plan.Tasks], [.. plan.Tasks.Select(t => new EnqueueResult(t, true))]);
        return plan.Workflow;
    }

    /// <summary>The workflow, with each unfinished step's task state read for the view; null when unknown.</summary>
    public async ValueTask<WorkflowRecord?> WorkflowGet(string id, CancellationToken ct = default)
    {
        if (!TaskIds.IsValid(id)) return null;
        var wf = await Records.WorkflowGet(id, ct).ConfigureAwait(false);
        if (wf is null) return null;
        var steps = wf.Steps.ToArray();
        foreach (var s in steps.Where(s => s.State == WorkflowStepState.Released).Take(200))
            steps[s.Index] = s with { TaskState = (await Records.TaskGet(s.TaskId, ct).ConfigureAwait(false))?.State };
        for (var i = 0; i < steps.Length; i++)
            steps[i] = steps[i].TaskState is not null ? steps[i] : steps[i] with { TaskState = ViewState(steps[i].State) };
        return wf with { Steps = steps };
    }

    public ValueTask<WorkflowRecord?> WorkflowCancel(string id, CancellationToken ct = default) =>
        TaskIds.IsValid(id) ? Timed(StoreOperations.WorkflowCancel, Time.GetTimestamp(), Records.WorkflowCancel(id, ct)) : ValueTask.FromResult<WorkflowRecord?>(null);

    public ValueTask<WorkflowRecord?> WorkflowAdvance(string id, CancellationToken ct = default) =>
        TaskIds.IsValid(id) ? Timed(StoreOperations.WorkflowAdvance, Time.GetTimestamp(), Records.WorkflowAdvance(id, ct)) : ValueTask.FromResult<WorkflowRecord?>(null);

    /// <summary>Maintenance's part for workflows (called by <see cref="MaintenanceRun(MaintenanceRunParams, CancellationToken)"/>).</summary>
    public ValueTask<int> WorkflowSweep(int max = WorkflowSweepBatch, CancellationToken ct = default)
    {
        PurgeStepLeases();
        return Timed(StoreOperations.WorkflowSweep, Time.GetTimestamp(), Records.WorkflowSweep(max, ct));
    }

    private void NoteWorkflowSteps(IReadOnlyList<LeasedTask> leased)
    {
        foreach (var l in leased)
            if (l.Task.Metadata.Count > 0 && l.Task.Metadata.TryGetValue(WorkflowPlanner.WorkflowKey, out var wf))
                _stepLeases[l.LeaseToken] = (wf, Time.GetTimestamp());
    }

    /// <summary>After complete or fail: advance the workflows of the steps that ended (nothing when no step lease is open).</summary>
    private async ValueTask AdvanceWorkflows(IReadOnlyList<string> tokens, IReadOnlyList<AckResult> results, CancellationToken ct)
    {
        if (_stepLeases.IsEmpty) return;
        HashSet<string>? due = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (!_stepLeases.TryRemove(tokens[i], out var entry)) continue;
            var wf = entry.Workflow;
            // A retried step is leased again under a new token; only an ended step moves its workflow.
            if (results[i].Outcome == AckOutcome.Ok && results[i].State is { } st && st.IsTerminal()) (due ??= []).Add(wf);
        }
        if (due is null) return;
        foreach (var wf in due)
        {
            // The step's end is durable already; a failure here is repaired by maintenance, so it must not fail the ack.
            try { await Records.WorkflowAdvance(wf, ct).ConfigureAwait(false); }
            catch (Exception) when (!ct.IsCancellationRequested) { }
        }
    }

    /// <summary>Drops step leases never acknowledged here (their worker died; maintenance advances those workflows).</summary>
    private void PurgeStepLeases()
    {
        foreach (var (token, e) in _stepLeases)
            if (Time.GetElapsedTime(e.LeasedAt) > LeaseTags.KeepFor) _stepLeases.TryRemove(token, out _);
    }

    private static TaskState? ViewState(WorkflowStepState s) => s switch
    {
        WorkflowStepState.Waiting => TaskState.Waiting,
        WorkflowStepState.Succeeded => TaskState.Succeeded,
        WorkflowStepState.Failed => TaskState.Failed,
        WorkflowStepState.Cancelled => TaskState.Cancelled,
        _ => null,
    };
}
