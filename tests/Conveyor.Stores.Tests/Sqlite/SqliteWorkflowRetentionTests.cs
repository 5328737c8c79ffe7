using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Conveyor.Workflows;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>SQLite removes a finished workflow's record after the default retention (Redis expires it with a TTL).</summary>
public sealed class SqliteWorkflowRetentionTests
{
    [Fact]
    public async Task WorkflowSweep_removes_finished_workflows_past_the_retention_and_keeps_younger_ones()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, time);
        var engine = new TaskEngine(store, time);
        var step = WorkflowNode.Step(new TaskSubmission { Type = "t" });
        var old = await engine.WorkflowSubmit(new WorkflowSubmission { Root = step });
        var l = Assert.Single(await engine.Lease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        await engine.CompleteMany([new TaskCompleteParams(l.Task.Id, l.LeaseToken, JsonSerializer.SerializeToElement(1))]);
        Assert.Equal(WorkflowState.Succeeded, (await engine.WorkflowGet(old.Id))!.State);

        time.Advance(TaskDefaults.Retention - TimeSpan.FromHours(1));
        var young = await engine.WorkflowSubmit(new WorkflowSubmission { Root = step });
        await engine.WorkflowSweep();
        Assert.NotNull(await engine.WorkflowGet(old.Id));

        time.Advance(TimeSpan.FromHours(2));
        await engine.WorkflowSweep();
        Assert.Null(await engine.WorkflowGet(old.Id));
        Assert.NotNull(await engine.WorkflowGet(young.Id)); // still running: never removed
    }
}
