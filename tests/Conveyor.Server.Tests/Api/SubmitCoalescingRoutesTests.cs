using System.Net;
using Conveyor.Server.Tests.Support;

namespace Conveyor.Server.Tests.Api;

/// <summary>
/// The submit route feeds the engine's enqueue coalescer (issue 15): concurrent requests share store
/// calls, and each response is still exactly its own submission's outcome.
/// </summary>
public sealed class SubmitCoalescingRoutesTests : IAsyncLifetime
{
    private Broker broker = null!;
    public async Task InitializeAsync() => broker = await Broker.Start();
    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task Concurrent_submits_each_answer_their_own_task_and_a_shared_key_makes_one_task()
    {
        var distinct = Enumerable.Range(0, 32).Select(i => Submit($$"""{"type":"t.{{i}}","queue":"q{{i % 3}}"}""")).ToList();
        var keyed = Enumerable.Range(0, 32).Select(_ => Submit("""{"type":"order.place","idempotency_key":"order-9"}""")).ToList();
        var answers = await Task.WhenAll(distinct.Concat(keyed));

        for (var i = 0; i < 32; i++)
        {
            var (status, type, _) = answers[i];
            Assert.Equal(HttpStatusCode.Created, status);
            Assert.Equal($"t.{i}", type);
        }
        Assert.Equal(32, answers.Take(32).Select(a => a.Id).Distinct().Count());
        var keyedAnswers = answers.Skip(32).ToList();
        Assert.Single(keyedAnswers, a => a.Status == HttpStatusCode.Created);
        Assert.Equal(31, keyedAnswers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.Single(keyedAnswers.Select(a => a.Id).Distinct());

        foreach (var (_, type, id) in answers.Take(33))
            Assert.Equal(type, (await broker.GetOk($"/api/v1/tasks/{id}")).GetProperty("type").GetString());
    }

    private async Task<(HttpStatusCode Status, string Type, string Id)> Submit(string body)
    {
        using var response = await broker.Post("/api/v1/tasks", body);
        var task = await Broker.Body(response);
        return (response.StatusCode, task.GetProperty("type").GetString()!, task.GetProperty("id").GetString()!);
    }
}
