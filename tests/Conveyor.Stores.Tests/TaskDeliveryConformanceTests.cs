using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

/// <summary>The delivery part of the contract (see <see cref="StoreConformanceBase"/>): enqueue, lease, acks, pause.</summary>
public abstract partial class TaskDeliveryConformanceTests : StoreConformanceBase
{
    [Theory]
    [InlineData(null)]
    [InlineData("k-1")]
    public async Task TaskEnqueueMany_stores_every_field_and_TaskGet_reads_it_back(string? key)
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var task = NewTask(time, type: "email.send", queue: "mail", priority: 7, maxAttempts: 3,
            backoff: BackoffPolicy.FixedDelay(TimeSpan.FromSeconds(5)), key: key, args: "{\"to\":\"a@b.c\",\"n\":[1,2.5],\"s\":\"\u00e9\\\"q\"}");
        var results = await store.TaskEnqueueMany([task, NewTask(time, args: "\"just a string\"")]);
        Assert.All(results, r => Assert.True(r.Created));
        var got = await Get(store, task.Id);
        Assert.Equal(TaskState.Pending, got.State);
        Assert.Equal(("email.send", "mail", 7, 3, 0), (got.Type, got.Queue, got.Priority, got.MaxAttempts, got.Attempt));
        Assert.Equal(task.Backoff, got.Backoff);
        Assert.Equal(task.Timeout, got.Timeout);
        Assert.Equal(key, got.IdempotencyKey);
        Assert.Equal("conformance", got.Metadata["tag"]);
        Assert.Equal("a@b.c", got.Args.GetProperty("to").GetString());
        Assert.Equal(2.5, got.Args.GetProperty("n")[1].GetDouble());
        Assert.Equal("\u00e9\"q", got.Args.GetProperty("s").GetString());
        Assert.Equal("just a string", (await Get(store, results[1].Task.Id)).Args.GetString());
        AssertTime(Start, got.CreatedAt);
        AssertTime(Start, got.ScheduledFor);
        Assert.Empty(got.Attempts);
        Assert.Null(got.Result);
        Assert.Null(got.Error);
        Assert.Null(got.Progress);
        Assert.Null(await store.TaskGet(TaskIds.New(time)));
    }

    [Fact]
    public async Task TaskEnqueueMany_keeps_input_order_in_results()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var tasks = Enumerable.Range(0, 20).Select(i => NewTask(time, type: $"t{i}")).ToList();
        var results = await store.TaskEnqueueMany(tasks);
        Assert.Equal(tasks.Select(t => t.Id), results.Select(r => r.Task.Id));
    }
}
