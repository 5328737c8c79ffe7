using System.Net;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Client.Protocol;
using Conveyor.Model;
using Conveyor.Server.Tests.Support;
using Conveyor.Workflows;

namespace Conveyor.Server.Tests.Api;

/// <summary>WorkflowSubmit, WorkflowGet, WorkflowCancel over HTTP and through the .NET client; steps run by leasing over HTTP.</summary>
public sealed class WorkflowRoutesTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    private async Task CompleteNext(string queue, object result)
    {
        var (id, token, _) = await broker.LeaseOne(queue);
        using var r = await broker.Post($"/api/v1/tasks/{id}/complete", JsonSerializer.Serialize(new { lease_token = token, result }));
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_chain_submitted_over_http_runs_step_by_step_and_reads_back_with_its_result()
    {
        using var response = await broker.Post("/api/v1/workflows",
            """{"name":"pipe","workflow":{"chain":[{"type":"a","args":[1]},{"type":"b","queue":"second","args":{"k":true}}]}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await Broker.Body(response);
        var id = body.GetProperty("workflow").GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/workflows/{id}", response.Headers.Location?.OriginalString);
        var steps = body.GetProperty("workflow").GetProperty("steps");
        Assert.Equal("waiting", (await broker.GetOk($"/api/v1/tasks/{steps[1].GetProperty("task_id").GetString()}")).GetProperty("state").GetString());

        await CompleteNext("default", new { n = 41 });
        var second = await broker.GetOk($"/api/v1/tasks/{steps[1].GetProperty("task_id").GetString()}");
        Assert.Equal("pending", second.GetProperty("state").GetString());
        Assert.Equal(41, second.GetProperty("args").GetProperty("input").GetProperty("n").GetInt32());
        Assert.True(second.GetProperty("args").GetProperty("k").GetBoolean());

        var mid = await broker.GetOk($"/api/v1/workflows/{id}");
        Assert.Equal("running", mid.GetProperty("workflow").GetProperty("state").GetString());
        Assert.Equal(1, mid.GetProperty("progress").GetProperty("finished").GetInt32());
        Assert.Equal("pending", mid.GetProperty("workflow").GetProperty("steps")[1].GetProperty("task_state").GetString());
        Assert.Equal(0, mid.GetProperty("workflow").GetProperty("steps")[1].GetProperty("after")[0].GetInt32());

        await CompleteNext("second", "done");
        var end = await broker.GetOk($"/api/v1/workflows/{id}");
        Assert.Equal("succeeded", end.GetProperty("workflow").GetProperty("state").GetString());
        Assert.Equal("done", end.GetProperty("workflow").GetProperty("result").GetString());
    }

    [Theory]
    [InlineData("""{"workflow":{"chain":[]}}""", "workflow.chain")]
    [InlineData("""{"workflow":{"group":[{"type":"ok"},{"type":"NOT OK"}]}}""", "workflow.group[1].type")]
    [InlineData("""{"workflow":{"batch":[{"type":"a","priority":42}]}}""", "workflow.batch[0].priority")]
    [InlineData("""{"workflow":{"chain":[{"type":"a","idempotency_key":"k"}]}}""", "workflow.chain[0].idempotency_key")]
    [InlineData("""{"workflow":[1,2]}""", "workflow")]
    [InlineData("""{"steps":[]}""", "steps")]
    public async Task A_bad_workflow_is_a_400_naming_the_node_and_stores_nothing(string json, string field)
    {
        using var response = await broker.Post("/api/v1/workflows", json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Broker.Body(response);
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
        Assert.Equal(0, (await broker.GetOk("/api/v1/tasks")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task The_client_submits_reads_and_cancels_a_chord_and_unknown_ids_are_null()
    {
        var client = new ConveyorClient(broker.Client(null));
        var chord = WorkflowNode.Group(
            [WorkflowNode.Step(new TaskSubmission { Type = "x" }), WorkflowNode.Step(new TaskSubmission { Type = "y" })],
            WorkflowNode.Step(new TaskSubmission { Type = "merge" }));
        var view = await client.WorkflowSubmit(new WorkflowSubmission { Root = chord, Name = "fan" });
        Assert.Equal(3, view.Progress.Total);
        Assert.Equal([0, 1], view.Workflow.Steps[2].After);
        var got = await client.WorkflowGet(view.Workflow.Id);
        Assert.Equal(TaskState.Waiting, got!.Workflow.Steps[2].TaskState);
        Assert.Equal(TaskState.Pending, got.Workflow.Steps[0].TaskState);

        var cancelled = await client.WorkflowCancel(view.Workflow.Id);
        Assert.Equal(WorkflowState.Cancelled, cancelled!.Workflow.State);
        foreach (var s in view.Workflow.Steps) Assert.Equal(TaskState.Cancelled, (await client.Get(s.TaskId))!.State);
        Assert.Null(await client.WorkflowGet("0190b3a4-0000-7000-8000-000000000000"));
        Assert.Null(await client.WorkflowCancel("0190b3a4-0000-7000-8000-000000000000"));
    }
}
