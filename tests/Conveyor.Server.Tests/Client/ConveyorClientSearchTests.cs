using System.Text.Json;
using Conveyor.Client;
using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;
using Conveyor.Store;

namespace Conveyor.Server.Tests.Client;

/// <summary>The client's search, retry now, delete, bulk actions, bulk-action log, dead-letter groups and redrive with args, against a real broker.</summary>
public sealed class ConveyorClientSearchTests : IAsyncLifetime
{
    private const string Admin = "search-admin";
    private Broker broker = null!;
    private ConveyorClient client = null!;
    private HttpWorkerGateway transport = null!;

    public async Task InitializeAsync()
    {
        broker = await Broker.Start(o => o.Tokens.Add(ApiToken.FromSecret(Admin, [Scopes.Admin], name: "client-ops")));
        client = new ConveyorClient(broker.Client(null), Admin);
        transport = new HttpWorkerGateway(broker.Client(null), Admin);
    }

    public async Task DisposeAsync() => await broker.DisposeAsync();

    private async Task<string> Dead(string queue, string errorType)
    {
        var id = (await client.Submit(new TaskSubmission { Type = "dies", Queue = queue, Metadata = new Dictionary<string, string> { ["team"] = "a=b" } })).Task.Id;
        var lease = Assert.Single(await transport.Lease(new TaskLeaseParams("cw", [queue], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        await transport.FailMany([new TaskFailParams(id, lease.LeaseToken, new TaskError(errorType, "went wrong"), Retry: false)]);
        return id;
    }

    [Fact]
    public async Task Search_retry_delete_bulk_and_groups_round_trip()
    {
        var keyed = (await client.Submit(new TaskSubmission { Type = "x", Queue = "c", IdempotencyKey = "k/1 &2", Delay = TimeSpan.FromHours(1) })).Task.Id;
        var dead = new[] { await Dead("c2", "ValueError"), await Dead("c2", "ValueError"), await Dead("c2", "KeyError") };

        Assert.Equal([keyed], (await client.List(new TaskListParams() { IdempotencyKey = "k/1 &2" })).Items.Select(t => t.Id));
        Assert.Equal(3, (await client.List(new TaskListParams() { TagKey = "team", TagValue = "a=b" })).Items.Count);
        Assert.Equal(2, (await client.List(new TaskListParams(State: TaskState.Failed) { ErrorType = "ValueError", Error = "WENT" })).Items.Count);

        var groups = await client.DeadLetterGroups("c2");
        Assert.Equal([("ValueError", 2L), ("KeyError", 1L)], groups.Groups.Select(g => (g.ErrorType, g.Count)));

        Assert.Equal(TaskState.Pending, (await client.Retry(keyed))!.State);
        var conflict = await Assert.ThrowsAsync<ConveyorApiException>(() => client.Retry(keyed));
        Assert.Equal((409, ProblemTypes.TaskStateConflict), (conflict.Status, conflict.Type));
        Assert.Null(await client.Retry(TaskIds.New(TimeProvider.System)));

        Assert.True(await client.RetryDeadLetter(dead[2], JsonSerializer.SerializeToElement(new { n = 9 })));
        Assert.Equal(9, (await client.Get(dead[2]))!.Args.GetProperty("n").GetInt32());

        var dry = await client.Bulk(new BulkActionRequest { Action = "retry", Filter = new BulkFilter { State = "failed", ErrorType = "ValueError" }, DryRun = true });
        Assert.Equal((2L, 0L, (string?)null), (dry.Matched, dry.Changed, dry.Id));
        var done = await client.Bulk(new BulkActionRequest { Action = "delete", Ids = dead[..2] });
        Assert.Equal((2L, 2L), (done.Matched, done.Changed));
        Assert.Null(await client.Get(dead[0]));
        var log = await client.BulkActions();
        Assert.Equal((done.Id, "client-ops", "delete", 2), (log[0].Id, log[0].Actor, log[0].Action, log[0].IdsCount));

        Assert.True(await client.Delete(keyed));
        Assert.False(await client.Delete(keyed));
        var bad = await Assert.ThrowsAsync<ConveyorApiException>(() => client.List(new TaskListParams() { TagKey = "", TagValue = "v" }));
        Assert.Equal((400, ProblemTypes.Validation), (bad.Status, bad.Type));
    }
}
