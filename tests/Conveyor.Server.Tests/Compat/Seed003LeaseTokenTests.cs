using System.Net;
using Conveyor.Client.Protocol;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Compat;

/// <summary>
/// Seed 003's /ack without a lease the server remembers (after a restart, or leased by another
/// server): 409 and nothing changes; echoing the lease_token /get returned always works.
/// </summary>
public sealed class Seed003LeaseTokenTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task An_ack_the_server_cannot_fence_is_409_and_an_echoed_lease_token_works()
    {
        var id = (await broker.PostOk("/submit", """{"type":"fib","payload":{"n":4}}""")).GetProperty("task_id").GetString();
        // Leased elsewhere (as if before a restart): this server's memory holds no token for it.
        var (_, token, _) = await broker.LeaseOne();

        using var blind = await broker.Post("/ack", $$"""{"task_id":"{{id}}","status":"done","result":3}""");
        await Problems.Assert(blind, HttpStatusCode.Conflict, ProblemTypes.StaleLease);
        Assert.Equal("running", (await broker.GetOk($"/status/{id}")).GetProperty("status").GetString());

        var ack = await broker.PostOk("/ack", $$"""{"task_id":"{{id}}","status":"done","result":3,"lease_token":"{{token}}"}""");
        Assert.Equal("acknowledged", ack.GetProperty("status").GetString());
        Assert.Equal(3, (await broker.GetOk($"/status/{id}")).GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task An_ack_for_an_unknown_task_is_404()
    {
        using var response = await broker.Post("/ack", $$"""{"task_id":"{{Guid.CreateVersion7()}}","status":"done"}""");
        await Problems.Assert(response, HttpStatusCode.NotFound, ProblemTypes.NotFound);
    }
}
