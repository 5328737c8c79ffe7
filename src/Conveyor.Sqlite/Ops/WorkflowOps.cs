using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Workflows;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>
/// Workflows in the writer (Sql/Workflow*.sql). The rules are <see cref="WorkflowRules"/>; this file
/// reads what they need and carries out what they decide, inside the caller's transaction: a step's
/// end, the record of it and the release of what follows commit together or not at all.
/// </summary>
internal static class WorkflowOps
{
    /// <summary>How long an unsettled workflow rests between two sweeps.</summary>
    public static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(5);

    public static int WorkflowCreate(WriteContext ctx, WorkflowRecord wf, IReadOnlyList<TaskRecord> tasks)
    {
        var now = ctx.Now();
        var cmd = ctx.Command("WorkflowCreate.Workflow");
        cmd.Set("$id", wf.Id);
        cmd.Set("$state", ToJson(wf.State).Trim('"'));
        cmd.Set("$doc", ToJson(wf));
        cmd.Set("$created_at", Ticks(now));
        cmd.ExecuteNonQuery();
        var steps = ctx.Command("WorkflowCreate.Steps");
        steps.Set("$workflow_id", wf.Id);
        steps.Set("$items", ToJson(wf.Steps.Select(s => new { task_id = s.TaskId, step = s.Index })));
        steps.ExecuteNonQuery();
        EnqueueOps.TaskEnqueueMany(ctx, tasks);
        return tasks.Count;
    }

    public static WorkflowRecord? Read(WriteContext ctx, string id)
    {
        var cmd = ctx.Command("WorkflowGet.Doc");
        cmd.Set("$id", id);
        return cmd.ExecuteScalar() is string doc ? Parse(doc) : null;
    }

    public static WorkflowRecord Parse(string doc) => JsonSerializer.Deserialize<WorkflowRecord>(doc, ConveyorJson.Options)!;

    /// <summary>The hook of the transitions that end a task: advance the workflows of those that are steps.</summary>
    public static void StepsEnded(WriteContext ctx, IReadOnlyCollection<string> taskIds)
    {
        if (taskIds.Count == 0) return;
        var cmd = ctx.Command("WorkflowAdvance.StepsOf");
        cmd.Set("$ids", ToJson(taskIds));
        Dictionary<string, List<int>>? byWorkflow = null;
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                byWorkflow ??= new(StringComparer.Ordinal);
                var wf = r.GetString(1);
                if (!byWorkflow.TryGetValue(wf, out var list)) byWorkflow[wf] = list = [];
                list.Add(r.GetInt32(2));
            }
        }
        if (byWorkflow is null) return;
        foreach (var (wf, steps) in byWorkflow) Advance(ctx, wf, steps);
    }

    /// <summary>Advance one workflow, observing <paramref name="only"/> its steps (null: every step whose task may have moved on).</summary>
    public static WorkflowRecord? Advance(WriteContext ctx, string id, IReadOnlyList<int>? only = null)
    {
        var wf = Read(ctx, id);
        if (wf is null) return null;
        var now = ctx.Now();
        var observe = only?.Select(i => wf.Steps[i]) ?? WorkflowRules.ToObserve(wf);
        var observed = new Dictionary<int, StepObservation>();
        var state = ctx.Command("WorkflowAdvance.TaskState");
        foreach (var s in observe)
        {
            state.Set("$id", s.TaskId);
            using var r = state.ExecuteReader();
            // A step's task removed (retention, delete) counts as cancelled.
            observed[s.Index] = r.Read()
                ? new StepObservation(ParseState(r.GetString(0)), r.IsDBNull(1) ? null : JsonDocument.Parse(r.GetString(1)).RootElement.Clone())
                : new StepObservation(TaskState.Cancelled, null);
        }
        return Apply(ctx, WorkflowRules.Advance(wf, observed, now), now);
    }

    public static WorkflowRecord? Cancel(WriteContext ctx, string id)
    {
        var wf = Read(ctx, id);
        if (wf is null) return null;
        var now = ctx.Now();
        return Apply(ctx, WorkflowRules.Cancel(wf, now), now);
    }

    public static int Sweep(WriteContext ctx, int max)
    {
        var now = ctx.Now();
        var due = ctx.Command("WorkflowSweep.Due");
        due.Set("$before", Ticks(now - SweepEvery));
        due.Set("$limit", max);
        var ids = new List<string>();
        using (var r = due.ExecuteReader()) while (r.Read()) ids.Add(r.GetString(0));
        foreach (var id in ids) Advance(ctx, id);
        // A finished workflow's record is kept as long as a task's (the default retention), as Redis expires it.
        foreach (var name in (string[])["WorkflowSweep.ExpireSteps", "WorkflowSweep.Expire"])
        {
            var expire = ctx.Command(name);
            expire.Set("$before", Ticks(now - TaskDefaults.Retention));
            expire.Set("$limit", max);
            expire.ExecuteNonQuery();
        }
        return ids.Count;
    }

    private static WorkflowRecord Apply(WriteContext ctx, WorkflowChange change, DateTimeOffset now)
    {
        var wf = change.Workflow;
        // Written even when unchanged: swept_at moves on, so the sweep takes the next ones.
        var write = ctx.Command("WorkflowAdvance.Write");
        write.Set("$id", wf.Id);
        write.Set("$state", ToJson(wf.State).Trim('"'));
        write.Set("$settled", wf.Settled ? 1 : 0);
        write.Set("$doc", ToJson(wf));
        write.Set("$finished_at", wf.FinishedAt is { } f ? Ticks(f) : null);
        write.Set("$swept_at", Ticks(now));
        write.ExecuteNonQuery();

        var release = ctx.Command("WorkflowAdvance.Release");
        foreach (var r in change.Releases)
        {
            release.Set("$id", r.Step.TaskId);
            release.Set("$args", r.Args.GetRawText());
            release.Set("$seq", ctx.NextSeq());
            release.Set("$now", Ticks(now));
            using var reader = release.ExecuteReader();
            if (!reader.Read()) continue;
            var queue = reader.GetString(0);
            ctx.Event(r.Step.TaskId, queue, reader.GetString(1), TaskState.Pending, now);
            ctx.Wake(queue);
        }
        var cancelWaiting = ctx.Command("WorkflowAdvance.CancelWaiting");
        foreach (var s in change.Cancels)
        {
            cancelWaiting.Set("$id", s.TaskId);
            cancelWaiting.Set("$now", Ticks(now));
            using (var reader = cancelWaiting.ExecuteReader())
            {
                if (reader.Read()) { ctx.Event(s.TaskId, reader.GetString(0), reader.GetString(1), TaskState.Cancelled, now); continue; }
            }
            AdminOps.TaskCancel(ctx, s.TaskId);
        }
        return wf;
    }
}
