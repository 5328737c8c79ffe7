using System.Text.Json;
using Conveyor.Client;
using Conveyor.Client.Protocol;
using Conveyor.Model;
using Conveyor.Server.Auth;
using Conveyor.Server.Tests.Support;
using Conveyor.Store;

namespace Conveyor.Server.Tests.Client;

public sealed class ConveyorClientTests : IAsyncLifetime
{
    private const string Admin = "client-admin";
    private Broker broker = null!;
    private ConveyorClient client = null!;
    private HttpWorkerGateway transport = null!;

    public async Task InitializeAsync()
    {
        broker = await Broker.Start(o => o.Tokens.Add(ApiToken.FromSecret(Admin, [Scopes.Admin])));
        client = new ConveyorClient(broker.Client(null), Admin);
        transport = new HttpWorkerGateway(broker.Client(null), Admin);
    }

    public async Task DisposeAsync() => await broker.DisposeAsync();

    private static TaskSubmission Sub(string type, string queue = "default", string? key = null) =>
        new() { Type = type, Queue = queue, Args = JsonSerializer.SerializeToElement(new { n = 3 }), IdempotencyKey = key };

    [Fact]
    public async Task Producer_calls_round_trip()
    {
        var first = await client.Submit(Sub("fib", key: "k1"));
        Assert.True(first.Created);
        var repeat = await client.Submit(Sub("fib", key: "k1"));
        Assert.False(repeat.Created);
        Assert.Equal(first.Task.Id, repeat.Task.Id);

        var batch = await client.SubmitMany([Sub("a", "cq"), Sub("b", "cq")]);
        Assert.Equal(2, batch.Count);
        Assert.Equal(3, (await client.Get(first.Task.Id))!.Args.GetProperty("n").GetInt32());
        Assert.Null(await client.Get(Guid.CreateVersion7().ToString()));
        Assert.Equal(2, (await client.List(new TaskListParams(Queue: "cq"))).Items.Count);
        Assert.Contains(await client.Queues(), q => q.Name == "cq" && q.Pending == 2);
        Assert.True((await client.PauseQueue("cq")).Paused);
        Assert.False((await client.ResumeQueue("cq")).Paused);

        var cancelled = await client.Cancel(batch[0].Task.Id);
        Assert.Equal(CancelOutcome.Cancelled, cancelled.Outcome);
        Assert.Equal(CancelOutcome.NotFound, (await client.Cancel(Guid.CreateVersion7().ToString())).Outcome);
        var waited = await client.Wait(batch[0].Task.Id, TimeSpan.FromSeconds(1));
        Assert.Equal(TaskState.Cancelled, waited!.State);
    }

    [Fact]
    public async Task Submit_by_type_and_args_serialises_args_in_the_wire_dialect()
    {
        var result = await client.Submit("report.build", new { ReportId = 7, Pages = new[] { 1, 2 } }, queue: "reports");
        var task = (await client.Get(result.Task.Id))!;
        Assert.Equal("reports", task.Queue);
        Assert.Equal(7, task.Args.GetProperty("report_id").GetInt32());
        Assert.Equal(2, task.Args.GetProperty("pages").GetArrayLength());
    }

    [Fact]
    public async Task The_transport_throws_the_problem_for_an_invalid_lease()
    {
        var e = await Assert.ThrowsAsync<ConveyorApiException>(async () =>
            await transport.Lease(new TaskLeaseParams("tw", ["default"], 0, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        Assert.Equal(ProblemTypes.Validation, e.Type);
        Assert.Contains(e.Errors, f => f.Field == "max");
    }

    [Fact]
    public async Task Refusals_throw_with_the_problem_details()
    {
        var e = await Assert.ThrowsAsync<ConveyorApiException>(() => client.Submit(new TaskSubmission { Type = "x", Priority = 12 }));
        Assert.Equal(400, e.Status);
        Assert.Equal(ProblemTypes.Validation, e.Type);
        Assert.Contains(e.Errors, f => f.Field == "priority");

        var anonymous = new ConveyorClient(broker.Client(null));
        var u = await Assert.ThrowsAsync<ConveyorApiException>(() => anonymous.Queues());
        Assert.Equal(ProblemTypes.Unauthorized, u.Type);
    }

    [Fact]
    public async Task The_http_transport_leases_acks_and_reports_stale_leases_as_values()
    {
        var id = (await client.Submit(Sub("work"))).Task.Id;
        await transport.WorkerHeartbeat(new WorkerInfo { Id = "tw", Host = "here", Queues = ["default"], Concurrency = 2 });
        Assert.Contains(await client.Workers(), w => w.Id == "tw");

        var leased = await transport.Lease(new TaskLeaseParams("tw", ["default"], 10, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)));
        var lease = Assert.Single(leased);
        Assert.Equal(id, lease.Task.Id);

        var beat = await transport.ExtendMany([new LeaseExtendParams(id, lease.LeaseToken, TimeSpan.FromSeconds(60), new TaskProgress(50))]);
        Assert.Equal(AckOutcome.Ok, beat[0].Outcome);
        var stale = await transport.CompleteMany([new TaskCompleteParams(id, "stale-token", null)]);
        Assert.Equal(AckOutcome.StaleLease, stale[0].Outcome);
        Assert.Equal(TaskState.Running, (await client.Get(id))!.State);

        var done = await transport.CompleteMany([new TaskCompleteParams(id, lease.LeaseToken, JsonSerializer.SerializeToElement(6))]);
        Assert.Equal(AckOutcome.Ok, done[0].Outcome);
        Assert.Equal(TaskState.Succeeded, (await client.Get(id))!.State);

        var dead = (await client.Submit(Sub("dies"))).Task.Id;
        var l2 = Assert.Single(await transport.Lease(new TaskLeaseParams("tw", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        var failed = await transport.FailMany([new TaskFailParams(dead, l2.LeaseToken, new TaskError("E", "bad"), Retry: false)]);
        Assert.Equal(TaskState.Failed, failed[0].State);
        Assert.Equal(dead, (await client.DeadLetters()).Items.Single().Id);
        Assert.True(await client.RetryDeadLetter(dead));
        var l3 = Assert.Single(await transport.Lease(new TaskLeaseParams("tw", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        Assert.Equal(AckOutcome.Ok, (await transport.ReleaseMany([new TaskReleaseParams(dead, l3.LeaseToken)]))[0].Outcome);
        Assert.Equal(TaskState.Pending, (await client.Get(dead))!.State);

        await transport.WorkerRemove("tw");
        Assert.DoesNotContain(await client.Workers(), w => w.Id == "tw");
    }

    private sealed class Stamp(string key, string value) : Conveyor.Engine.ISubmitMiddleware
    {
        public ValueTask<IReadOnlyList<EnqueueResult>> InvokeAsync(IReadOnlyList<TaskSubmission> submissions, Conveyor.Engine.SubmitDelegate next, CancellationToken ct) =>
            next([.. submissions.Select(s => s with { Metadata = new Dictionary<string, string>(s.Metadata ?? new Dictionary<string, string>()) { [key] = value } })], ct);
    }

    [Fact]
    public async Task The_clients_submit_middleware_runs_around_Submit_and_SubmitMany()
    {
        var stamped = new ConveyorClient(broker.Client(null), Admin) { SubmitMiddleware = [new Stamp("origin", "billing")] };
        var one = await stamped.Submit(Sub("mw.one"));
        var many = await stamped.SubmitMany([Sub("mw.many"), Sub("mw.many")]);
        foreach (var t in many.Select(r => r.Task).Prepend(one.Task))
            Assert.Equal("billing", (await client.Get(t.Id))!.Metadata["origin"]);
        Assert.False((await client.Submit(Sub("mw.plain"))).Task.Metadata.ContainsKey("origin")); // another client's chain is its own
    }
}
