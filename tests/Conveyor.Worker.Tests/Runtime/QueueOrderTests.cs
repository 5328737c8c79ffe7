using System.Collections.Concurrent;
using Conveyor.Model;
using Conveyor.Worker.Runtime;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class QueueOrderTests
{
    private static QueueOrder Parse(params string[] entries) =>
        QueueOrder.Parse(entries, new Random(7), []) ?? throw new InvalidOperationException("should parse");

    [Fact]
    public void Plain_names_are_a_strict_order_every_time()
    {
        var order = Parse("high", "low");
        Assert.False(order.Weighted);
        for (var i = 0; i < 50; i++) Assert.Equal(["high", "low"], order.Next());
    }

    [Fact]
    public void Weights_put_a_queue_first_in_proportion_and_every_queue_is_always_asked()
    {
        var order = Parse("high:3", "mid:2", "low:1");
        Assert.Equal(["high", "mid", "low"], order.Names);
        var first = new Dictionary<string, int>();
        for (var i = 0; i < 6000; i++)
        {
            var draw = order.Next();
            Assert.Equal(["high", "low", "mid"], draw.Order(StringComparer.Ordinal)); // each queue once per lease
            first[draw[0]] = first.GetValueOrDefault(draw[0]) + 1;
        }
        // Expected 3000 / 2000 / 1000 (weights 3:2:1); the bounds are far wider than the draw's spread.
        Assert.InRange(first["high"], 2700, 3300);
        Assert.InRange(first["mid"], 1750, 2250);
        Assert.InRange(first["low"], 850, 1150);
    }

    [Theory]
    [InlineData("high:3", "low", "every queue a weight")]
    [InlineData("high:0", "low:1", "from 1 to 1000")]
    [InlineData("high:x", "low:1", "from 1 to 1000")]
    [InlineData("high:3", "high:1", "listed twice")]
    [InlineData("High:3", "low:1", "queue")]
    public void Bad_entries_are_refused_with_the_reason(string a, string b, string reason)
    {
        var errors = new List<string>();
        Assert.Null(QueueOrder.Parse([a, b], new Random(1), errors));
        Assert.Contains(errors, e => e.Contains(reason, StringComparison.Ordinal));
        var options = new WorkerOptions { Queues = [a, b] };
        Assert.Contains(options.Validate(), e => e.Field == "worker.queues");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_busy_high_queue_does_not_starve_a_weighted_low_one(bool weighted)
    {
        await using var h = new WorkerHarness();
        h.Options.Concurrency = 1;
        h.Options.LeaseBatch = 1;
        h.Options.MaxPrefetch = 0;
        h.Options.Queues = weighted ? ["high:3", "low:1"] : ["high", "low"];
        h.Options.QueueRandom = new Random(11);
        var ran = new ConcurrentQueue<string>();
        var hundred = Signals.New<bool>();
        h.Handlers.Add("work", (System.Text.Json.JsonElement _, TaskContext ctx) =>
        {
            ran.Enqueue(ctx.Queue);
            if (ran.Count == 100) hundred.TrySetResult(true);
            return ValueTask.FromResult<object?>(null);
        });
        foreach (var queue in new[] { "high", "low" })
            await h.Engine.SubmitMany([.. Enumerable.Range(0, 150).Select(_ => new TaskSubmission { Type = "work", Queue = queue })]);

        await h.StartAsync();
        await hundred.Within("100 tasks run");
        await h.StopAsync();

        var low = ran.Take(100).Count(q => q == "low");
        // Strict: 150 ready high tasks all go first. Weighted 3:1: about 25 of the first 100 are low.
        if (weighted) Assert.InRange(low, 12, 40);
        else Assert.Equal(0, low);
    }
}
