using System.Text.Json;
using System.Text.Json.Nodes;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;
using Conveyor.Workflows;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

// Workflows (issue 14 item 2), through the engine: WorkflowCreate, WorkflowGet, WorkflowAdvance,
// WorkflowCancel, WorkflowSweep. Steps run by this file's "workers": "sum" adds every number in its args
// (an array, or an object's "values" and "input", nested arrays flattened), "boom" fails for good.
public abstract partial class TaskStoreConformanceTests
{
    private static readonly string[] WorkflowQueues = ["default", "wf-a", "wf-b"];

    private static WorkflowNode Sum(string args, string queue = "default") =>
        WorkflowNode.Step(new TaskSubmission { Type = "sum", Queue = queue, Args = JsonDocument.Parse(args).RootElement.Clone() });

    private static WorkflowNode Boom() => WorkflowNode.Step(new TaskSubmission { Type = "boom", MaxAttempts = 1 });

    private static double SumOf(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Sum(SumOf),
        JsonValueKind.Object => (e.TryGetProperty("values", out var v) ? SumOf(v) : 0) + (e.TryGetProperty("input", out var i) ? SumOf(i) : 0)
            + (e.TryGetProperty("results", out var r) ? SumOf(r) : 0),
        _ => 0,
    };

    /// <summary>Runs one round: leases what is ready in every queue and completes or fails it. Returns how many ran.</summary>
    private static async Task<int> RunReady(TaskEngine engine, List<string>? ran = null)
    {
        var leased = await engine.Lease(new TaskLeaseParams("wf-worker", WorkflowQueues, 100, LeaseFor, TimeSpan.Zero));
        var done = leased.Where(l => l.Task.Type != "boom").Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, JsonSerializer.SerializeToElement(SumOf(l.Task.Args)))).ToList();
        var failed = leased.Where(l => l.Task.Type == "boom").Select(l => new TaskFailParams(l.Task.Id, l.LeaseToken, new TaskError("Boom", "boom"), Retry: false)).ToList();
        if (done.Count > 0) await engine.CompleteMany(done);
        if (failed.Count > 0) await engine.FailMany(failed);
        ran?.AddRange(leased.Select(l => l.Task.Id));
        return leased.Count;
    }

    /// <summary>Runs rounds until the workflow has finished (bounded).</summary>
    private static async Task<WorkflowRecord> RunToEnd(TaskEngine engine, string id, List<string>? ran = null)
    {
        for (var round = 0; round < 100; round++)
        {
            var wf = await engine.WorkflowGet(id) ?? throw new Xunit.Sdk.XunitException($"workflow {id} is missing");
            if (wf.IsFinished) return wf;
            await RunReady(engine, ran);
        }
        throw new Xunit.Sdk.XunitException($"workflow {id} did not finish in 100 rounds");
    }

    [Fact]
    public async Task Workflow_chain_passes_each_result_into_the_next_step_and_holds_later_steps_waiting()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission
        {
            Name = "three",
            Root = WorkflowNode.Chain(Sum("[1, 2]"), Sum("[10]", "wf-a"), Sum("{\"values\": [100]}", "wf-b")),
        });
        Assert.Equal(WorkflowState.Running, wf.State);
        Assert.Equal(TaskState.Pending, (await Get(store, wf.Steps[0].TaskId)).State);
        Assert.Equal(TaskState.Waiting, (await Get(store, wf.Steps[1].TaskId)).State);
        Assert.Equal(TaskState.Waiting, (await Get(store, wf.Steps[2].TaskId)).State);
        Assert.Equal(wf.Id, (await Get(store, wf.Steps[2].TaskId)).Metadata[WorkflowPlanner.WorkflowKey]);

        Assert.Equal(1, await RunReady(engine)); // only the first step is ready
        Assert.Equal("[3,10]", (await Get(store, wf.Steps[1].TaskId)).Args.GetRawText());
        Assert.Equal(TaskState.Pending, (await Get(store, wf.Steps[1].TaskId)).State);
        Assert.Equal(TaskState.Waiting, (await Get(store, wf.Steps[2].TaskId)).State);

        var end = await RunToEnd(engine, wf.Id);
        Assert.Equal(WorkflowState.Succeeded, end.State);
        Assert.Equal(113, end.Result!.Value.GetDouble());
        Assert.Equal(13, (await Get(store, wf.Steps[2].TaskId)).Args.GetProperty("input").GetDouble());
        Assert.All(end.Steps, s => Assert.Equal(WorkflowStepState.Succeeded, s.State));
        Assert.Equal([3.0, 13, 113], end.Steps.Select(s => s.Result!.Value.GetDouble()));
        Assert.NotNull(end.FinishedAt);
        Assert.Equal("three", (await store.WorkflowGet(wf.Id))!.Name);
    }

    [Fact]
    public async Task Workflow_chord_callback_receives_every_result_of_the_group_in_order()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var members = Enumerable.Range(1, 6).Select(i => Sum($"[{i}]", i % 2 == 0 ? "wf-a" : "wf-b")).ToList();
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission { Root = WorkflowNode.Group(members, Sum("null")) });
        var callback = wf.Steps[^1];
        Assert.Equal(Enumerable.Range(0, 6), callback.After);

        var end = await RunToEnd(engine, wf.Id);
        Assert.Equal(WorkflowState.Succeeded, end.State);
        Assert.Equal("[1,2,3,4,5,6]", (await Get(store, callback.TaskId)).Args.GetRawText());
        Assert.Equal(21, end.Result!.Value.GetDouble());
    }

    [Fact]
    public async Task Workflow_group_without_callback_results_in_the_array_and_nests_in_a_chain()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        // chain: 1 -> group(+10, chain(+100, +1000)) -> sum of both branches
        var root = WorkflowNode.Chain(
            Sum("[1]"),
            WorkflowNode.Group([Sum("[10]", "wf-a"), WorkflowNode.Chain(Sum("[100]"), Sum("[1000]", "wf-b"))]),
            Sum("[]"));
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission { Root = root });
        Assert.Equal(5, wf.Steps.Count);
        Assert.Equal("workflow.chain[1].group[1].chain[1]", wf.Steps[3].Path);

        var end = await RunToEnd(engine, wf.Id);
        Assert.Equal(WorkflowState.Succeeded, end.State);
        // The group's result is [11, 1101]; the last step gets it prepended to its (empty) args.
        Assert.Equal("[[11,1101]]", (await Get(store, wf.Steps[4].TaskId)).Args.GetRawText());
        Assert.Equal(1112, end.Result!.Value.GetDouble());

        var plain = await engine.WorkflowSubmit(new WorkflowSubmission { Root = WorkflowNode.Group([Sum("[1]"), Sum("[2]")]) });
        Assert.Equal("[1,2]", (await RunToEnd(engine, plain.Id)).Result!.Value.GetRawText());
    }

    [Fact]
    public async Task Workflow_batch_waits_for_every_member_whatever_its_outcome_with_progress_and_a_summary_callback()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission
        {
            Root = WorkflowNode.Batch([Sum("[1]"), Boom(), WorkflowNode.Chain(Sum("[2]"), Sum("[3]"))], Sum("{}")),
        });
        var progress = WorkflowInput.Progress((await engine.WorkflowGet(wf.Id))!);
        Assert.Equal((3, 0), (progress.Batches[0].Total, progress.Batches[0].Finished));

        await RunReady(engine); // 1, boom and 2 run; 3 is released
        progress = WorkflowInput.Progress((await engine.WorkflowGet(wf.Id))!);
        Assert.Equal((3, 2, 1, 1), (progress.Batches[0].Total, progress.Batches[0].Finished, progress.Batches[0].Succeeded, progress.Batches[0].Failed));
        Assert.Equal(66, progress.Batches[0].Percent);

        var end = await RunToEnd(engine, wf.Id);
        Assert.Equal(WorkflowState.Succeeded, end.State);
        var input = (await Get(store, wf.Steps[^1].TaskId)).Args.GetProperty("input");
        Assert.Equal((3, 2, 1), (input.GetProperty("total").GetInt32(), input.GetProperty("succeeded").GetInt32(), input.GetProperty("failed").GetInt32()));
        Assert.Equal("[1,null,5]", input.GetProperty("results").GetRawText());
        Assert.Equal(6, end.Result!.Value.GetDouble());
        Assert.Equal(WorkflowStepState.Failed, end.Steps[1].State);
    }

    [Fact]
    public async Task Workflow_failed_step_fails_the_workflow_and_cancels_its_waiting_steps()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission { Root = WorkflowNode.Chain(Sum("[1]"), Boom(), Sum("[5]"), Sum("[6]")) });
        var ran = new List<string>();
        var end = await RunToEnd(engine, wf.Id, ran);
        Assert.Equal(WorkflowState.Failed, end.State);
        Assert.Contains("step 1", end.Error);
        Assert.Equal([wf.Steps[0].TaskId, wf.Steps[1].TaskId], ran);
        Assert.Equal(TaskState.Cancelled, (await Get(store, wf.Steps[2].TaskId)).State);
        Assert.Equal(TaskState.Cancelled, (await Get(store, wf.Steps[3].TaskId)).State);
        Assert.Equal(0, await RunReady(engine));
    }

    [Fact]
    public async Task Workflow_continue_on_failure_runs_the_next_step_with_a_null_input()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission { ContinueOnFailure = true, Root = WorkflowNode.Chain(Boom(), Sum("{\"values\": [7]}")) });
        var end = await RunToEnd(engine, wf.Id);
        Assert.Equal(WorkflowState.Succeeded, end.State);
        Assert.Equal(JsonValueKind.Null, (await Get(store, wf.Steps[1].TaskId)).Args.GetProperty("input").ValueKind);
        Assert.Equal(7, end.Result!.Value.GetDouble());
        Assert.Equal(WorkflowStepState.Failed, end.Steps[0].State);
    }

    [Fact]
    public async Task WorkflowCancel_cancels_waiting_pending_and_running_steps()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission
        {
            Root = WorkflowNode.Chain(WorkflowNode.Group([Sum("[1]"), Sum("[2]", "wf-a")]), Sum("[3]")),
        });
        var leased = Assert.Single(await engine.Lease(new TaskLeaseParams("w", ["default"], 1, LeaseFor, TimeSpan.Zero)));
        var cancelled = await engine.WorkflowCancel(wf.Id);
        Assert.Equal(WorkflowState.Cancelled, cancelled!.State);
        Assert.All(cancelled.Steps, s => Assert.Equal(WorkflowStepState.Cancelled, s.State));
        foreach (var s in wf.Steps) Assert.Equal(TaskState.Cancelled, (await Get(store, s.TaskId)).State);
        var ack = await engine.CompleteMany([new TaskCompleteParams(leased.Task.Id, leased.LeaseToken, null)]);
        Assert.Equal(AckOutcome.StaleLease, ack[0].Outcome);
        Assert.Equal(0, await RunReady(engine));
        Assert.Equal(WorkflowState.Cancelled, (await engine.WorkflowGet(wf.Id))!.State);
        Assert.Null(await engine.WorkflowCancel(TaskIds.New(time)));
        Assert.Null(await engine.WorkflowGet("not-an-id"));
    }

    [Fact]
    public async Task Workflow_chord_releases_its_callback_exactly_once_under_concurrent_completions()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var others = Enumerable.Range(0, 3).Select(_ => new TaskEngine(store, time)).ToList(); // other brokers
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission
        {
            Root = WorkflowNode.Group([.. Enumerable.Range(1, 20).Select(i => Sum($"[{i}]", WorkflowQueues[i % 3]))], Sum("null")),
        });
        var leased = await engine.Lease(new TaskLeaseParams("w", WorkflowQueues, 100, LeaseFor, TimeSpan.Zero));
        Assert.Equal(20, leased.Count);
        await Task.WhenAll(leased.Select(l => Task.Run(async () =>
            await engine.CompleteMany([new TaskCompleteParams(l.Task.Id, l.LeaseToken, JsonSerializer.SerializeToElement(SumOf(l.Task.Args)))]))));
        // Other brokers advancing (and sweeping) the same workflow at the same time release nothing twice.
        await Task.WhenAll(others.Select(o => Task.Run(async () => { await o.WorkflowAdvance(wf.Id); await o.WorkflowAdvance(wf.Id); })));

        var callback = Assert.Single(await engine.Lease(new TaskLeaseParams("w", WorkflowQueues, 100, LeaseFor, TimeSpan.Zero)));
        Assert.Equal(wf.Steps[^1].TaskId, callback.Task.Id);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (double)i), callback.Task.Args.EnumerateArray().Select(e => e.GetDouble()));
        await engine.CompleteMany([new TaskCompleteParams(callback.Task.Id, callback.LeaseToken, JsonSerializer.SerializeToElement(210))]);
        var end = await engine.WorkflowGet(wf.Id);
        Assert.Equal(WorkflowState.Succeeded, end!.State);
        Assert.Equal(210, end.Result!.Value.GetDouble());
        Assert.Empty(await engine.Lease(new TaskLeaseParams("w", WorkflowQueues, 100, LeaseFor, TimeSpan.Zero)));
    }

    [Fact]
    public async Task WorkflowSweep_finishes_a_release_left_undone_by_a_process_that_died_after_the_step()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission { Root = WorkflowNode.Chain(Sum("[1]"), Sum("[2]", "wf-a")) });
        // A worker leases the step through one broker, and its ack reaches the store through another
        // process that dies right after (here: straight to the store, so no engine advances anything).
        var l = Assert.Single(await engine.Lease(new TaskLeaseParams("w", ["default"], 1, LeaseFor, TimeSpan.Zero)));
        Assert.Equal(AckOutcome.Ok, (await store.TaskCompleteMany([new TaskCompleteParams(l.Task.Id, l.LeaseToken, JsonSerializer.SerializeToElement(1))]))[0].Outcome);

        time.Advance(TimeSpan.FromMinutes(1));
        await engine.WorkflowSweep();
        await engine.WorkflowSweep(); // twice: the repair is idempotent
        var next = await Get(store, wf.Steps[1].TaskId);
        Assert.Equal(TaskState.Pending, next.State);
        Assert.Equal("[1,2]", next.Args.GetRawText());
        var end = await RunToEnd(engine, wf.Id);
        Assert.Equal(3, end.Result!.Value.GetDouble());
        time.Advance(TimeSpan.FromMinutes(1));
        await engine.WorkflowSweep();
        Assert.Equal(WorkflowState.Succeeded, (await engine.WorkflowGet(wf.Id))!.State);
    }

    [Fact]
    public async Task WorkflowSubmit_refuses_a_bad_tree_with_the_path_in_error_and_stores_nothing()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var bad = JsonNode.Parse("""{"workflow": {"chain": [{"type": "sum"}, {"group": []}, {"type": "BAD TYPE"}]}}""")!;
        var e = await Assert.ThrowsAsync<ConveyorValidationException>(async () =>
            await engine.WorkflowSubmit(WorkflowJson.Parse(JsonSerializer.SerializeToElement(bad))));
        Assert.Contains(e.Errors, x => x.Field == "workflow.chain[1].group");
        Assert.Contains(e.Errors, x => x.Field == "workflow.chain[2].type");
        Assert.Empty((await store.TaskList(new TaskListParams())).Items);
        var parse = Assert.Throws<ConveyorValidationException>(() => WorkflowJson.Parse(JsonSerializer.SerializeToElement(JsonNode.Parse("""{"workflow": {"chain": [{"priority": 3}]}}"""))));
        Assert.Equal("workflow.chain[0]", Assert.Single(parse.Errors).Field);
    }

    [Fact]
    public async Task A_step_cancelled_on_its_own_fails_its_workflow_at_the_next_sweep()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var engine = new TaskEngine(store, time);
        var wf = await engine.WorkflowSubmit(new WorkflowSubmission { Root = WorkflowNode.Chain(Sum("[1]"), Sum("[2]"), Sum("[3]")) });
        var cancel = await engine.Cancel(wf.Steps[1].TaskId); // a waiting step, cancelled as a task
        Assert.Equal(CancelOutcome.Cancelled, cancel.Outcome);
        Assert.Equal(TaskState.Cancelled, (await Get(store, wf.Steps[1].TaskId)).State);

        await RunReady(engine); // the first step runs; the cancelled one is never released
        time.Advance(TimeSpan.FromMinutes(1));
        await engine.WorkflowSweep();
        var end = await engine.WorkflowGet(wf.Id);
        Assert.Equal(WorkflowState.Failed, end!.State);
        Assert.Equal(WorkflowStepState.Cancelled, end.Steps[1].State);
        Assert.Equal(TaskState.Cancelled, (await Get(store, wf.Steps[2].TaskId)).State);
        Assert.Equal(0, await RunReady(engine));
    }
}
