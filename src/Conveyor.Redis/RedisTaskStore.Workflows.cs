using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Workflows;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// Workflows on Redis. A workflow's steps live in their queues' slots (a Cluster spreads them over
/// nodes), and its record in its own (<c>{wf:&lt;id&gt;}</c>), so a step's end and its successors'
/// release cannot be one script. What keeps them atomic in effect:
/// <list type="bullet">
/// <item>The step's own script (TaskCompleteMany, TaskFailMany, MaintenanceRun) writes its end durably
/// in its slot: the task's state and result are the record that the step finished.</item>
/// <item>WorkflowAdvance reads those tasks, runs <see cref="WorkflowRules"/> and writes the new record by
/// compare-and-set on its version (WorkflowAdvance.lua): a decision (release step 3) is recorded once,
/// and two brokers racing agree.</item>
/// <item>The decisions are then carried out by idempotent scripts in the steps' slots
/// (WorkflowStepRelease.lua: only a waiting task moves; TaskCancel: only an unfinished one).</item>
/// <item>A process that dies anywhere in between leaves the workflow in <c>{g}:workflows</c>; maintenance's
/// WorkflowSweep runs the same advance again, which records what it missed and redoes any release or
/// cancel not yet carried out. Nothing is lost, and no step runs twice (a release moves only a waiting task).</item>
/// </list>
/// </summary>
public sealed partial class RedisTaskStore
{
    private const int WorkflowCasAttempts = 50;
    private static readonly TimeSpan WorkflowSweepEvery = TimeSpan.FromSeconds(5);
    /// <summary>Maintenance leaves a new workflow alone this long: its steps' tasks are written after its record.</summary>
    private static readonly TimeSpan WorkflowCreateGrace = TimeSpan.FromSeconds(30);

    public async ValueTask WorkflowCreate(WorkflowRecord workflow, IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default)
    {
        var now = NowMs();
        await Db.SortedSetAddAsync(_keys.WorkflowsUnsettled, workflow.Id, now + TaskHash.Ms(WorkflowCreateGrace)).ConfigureAwait(false);
        var doc = JsonSerializer.Serialize(workflow, ConveyorJson.Options);
        await _scripts.Run(ScriptCatalog.WorkflowCreate, [_keys.Workflow(workflow.Id)], [doc, workflow.Version]).ConfigureAwait(false);
        await TaskEnqueueMany(tasks, ct).ConfigureAwait(false);
    }

    public async ValueTask<WorkflowRecord?> WorkflowGet(string id, CancellationToken ct = default) =>
        (await ReadWorkflow(id).ConfigureAwait(false))?.Record;

    public async ValueTask<WorkflowRecord?> WorkflowAdvance(string id, CancellationToken ct = default)
    {
        for (var attempt = 0; attempt < WorkflowCasAttempts; attempt++)
        {
            if (await ReadWorkflow(id).ConfigureAwait(false) is not { } read) return null;
            var wf = read.Record;
            var observed = await Observe(WorkflowRules.ToObserve(wf).ToList()).ConfigureAwait(false);
            var change = WorkflowRules.Advance(wf, observed, _time.GetUtcNow());
            if (change.Changed && !await WriteWorkflow(read.Version, change.Workflow).ConfigureAwait(false)) continue;
            await CarryOut(change, ct).ConfigureAwait(false);
            return change.Workflow;
        }
        throw new InvalidOperationException($"workflow {id}: the record kept changing under {WorkflowCasAttempts} attempts to advance it");
    }

    public async ValueTask<WorkflowRecord?> WorkflowCancel(string id, CancellationToken ct = default)
    {
        for (var attempt = 0; attempt < WorkflowCasAttempts; attempt++)
        {
            if (await ReadWorkflow(id).ConfigureAwait(false) is not { } read) return null;
            var change = WorkflowRules.Cancel(read.Record, _time.GetUtcNow());
            if (change.Changed && !await WriteWorkflow(read.Version, change.Workflow).ConfigureAwait(false)) continue;
            await CarryOut(change, ct).ConfigureAwait(false);
            return change.Workflow;
        }
        throw new InvalidOperationException($"workflow {id}: the record kept changing under {WorkflowCasAttempts} attempts to cancel it");
    }

    public async ValueTask<int> WorkflowSweep(int max, CancellationToken ct = default)
    {
        var now = NowMs();
        var due = await Db.SortedSetRangeByScoreAsync(_keys.WorkflowsUnsettled, double.NegativeInfinity, now, take: max).ConfigureAwait(false);
        foreach (var v in due)
        {
            var id = (string)v!;
            var wf = await WorkflowAdvance(id, ct).ConfigureAwait(false);
            if (wf is null || wf.Settled) await Db.SortedSetRemoveAsync(_keys.WorkflowsUnsettled, id).ConfigureAwait(false);
            else await Db.SortedSetAddAsync(_keys.WorkflowsUnsettled, id, now + TaskHash.Ms(WorkflowSweepEvery)).ConfigureAwait(false);
        }
        return due.Length;
    }

    private sealed record ReadRecord(WorkflowRecord Record, long Version);

    private async Task<ReadRecord?> ReadWorkflow(string id)
    {
        var f = await Db.HashGetAsync(_keys.Workflow(id), ["d", "v"]).ConfigureAwait(false);
        if (f[0].IsNull) return null;
        var record = JsonSerializer.Deserialize<WorkflowRecord>((string)f[0]!, ConveyorJson.Options)!;
        return new ReadRecord(record, f[1].IsNull ? 0 : (long)f[1]);
    }

    private async Task<bool> WriteWorkflow(long version, WorkflowRecord next)
    {
        var ttl = next.IsFinished && next.Settled ? TaskHash.Ms(Model.TaskDefaults.Retention) : 0;
        var doc = JsonSerializer.Serialize(next, ConveyorJson.Options);
        var r = (int)await _scripts.Run(ScriptCatalog.WorkflowAdvance, [_keys.Workflow(next.Id)], [version, doc, next.Version, ttl]).ConfigureAwait(false);
        return r == 1;
    }

    /// <summary>The state and result of each step's task, read in one pipelined round (each from its queue's slot).</summary>
    private async Task<Dictionary<int, StepObservation>> Observe(List<WorkflowStep> steps)
    {
        var reads = steps.Select(s => Db.HashGetAsync(Q(s.Queue).Task(s.TaskId), ["st", "re"])).ToList();
        await Task.WhenAll(reads).ConfigureAwait(false);
        var observed = new Dictionary<int, StepObservation>();
        for (var i = 0; i < steps.Count; i++)
        {
            var f = reads[i].Result;
            if (f[0].IsNull)
            {
                // No task: removed (retention, delete), or a create cut short; after the grace, it counts as cancelled.
                observed[steps[i].Index] = new StepObservation(TaskState.Cancelled, null);
                continue;
            }
            var state = TaskStates.TryParse(f[0], out var st) ? st : TaskState.Cancelled;
            JsonElement? result = f[1].IsNull ? null : JsonDocument.Parse((string)f[1]!).RootElement.Clone();
            observed[steps[i].Index] = new StepObservation(state, result);
        }
        return observed;
    }

    /// <summary>Carries out the record's decisions in the steps' slots: each idempotent, so a repeat changes nothing.</summary>
    private async Task CarryOut(WorkflowChange change, CancellationToken ct)
    {
        var now = NowMs();
        await Task.WhenAll(change.Releases.Select(r =>
        {
            var q = Q(r.Step.Queue);
            return _scripts.Run(ScriptCatalog.WorkflowStepRelease, [q.Ready, q.Meta, q.StateIndex],
                [q.TaskPrefix, now, r.Step.TaskId, r.Args.GetRawText(), q.WakeSpec, q.EventsChannel, q.Name]);
        })).ConfigureAwait(false);
        foreach (var s in change.Cancels) await TaskCancel(s.TaskId, ct).ConfigureAwait(false);
        if (change.Cancels.Count > 0 || (change.Workflow.IsFinished && !change.Workflow.Settled))
            await Db.SortedSetAddAsync(_keys.WorkflowsUnsettled, change.Workflow.Id, now).ConfigureAwait(false);
    }
}
