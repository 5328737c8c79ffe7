using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Worker.Tests.Handlers;

public sealed class ArgsBindingTests
{
    public sealed record GreetArgs
    {
        public required string UserName { get; init; }
        public int Times { get; init; } = 1;
    }

    private sealed class GreetHandler : ITaskHandler<GreetArgs>
    {
        public ValueTask<object?> HandleAsync(GreetArgs args, TaskContext context) =>
            ValueTask.FromResult<object?>(new { greeting = string.Concat(Enumerable.Repeat($"hi {args.UserName}! ", args.Times)).Trim() });
    }

    [Fact]
    public async Task Args_bind_to_the_handlers_declared_type_with_snake_case_names()
    {
        await using var h = new WorkerHarness();
        h.Handlers.Add("greet", new GreetHandler());
        var id = await h.SubmitAsync("greet", JsonDocument.Parse("""{"user_name": "ann", "times": 2}""").RootElement);
        await h.StartAsync();

        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Succeeded, task.State);
        Assert.Equal("hi ann! hi ann!", task.Result?.GetProperty("greeting").GetString());
    }

    [Theory]
    [InlineData("""{"user_name": "ann", "times": "two"}""", "GreetArgs")]
    [InlineData("""{"times": 2}""", "user_name")]
    [InlineData("""[1, 2]""", "GreetArgs")]
    [InlineData("""null""", "needs args")]
    public async Task Args_that_do_not_bind_fail_permanently_with_a_clear_message(string json, string mentioned)
    {
        await using var h = new WorkerHarness();
        var called = false;
        h.Handlers.Add("greet", (GreetArgs _, TaskContext _) => { called = true; return default; });
        var id = await h.SubmitAsync("greet", JsonDocument.Parse(json).RootElement, maxAttempts: 5);
        await h.StartAsync();

        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal(1, task.Attempt); // no retries: the same args would fail again
        Assert.Equal("invalid_args", task.Error?.Type);
        Assert.Contains("'greet'", task.Error?.Message);
        Assert.Contains(mentioned, task.Error?.Message);
        Assert.False(called);
    }

    [Fact]
    public async Task An_untyped_handler_receives_the_raw_json()
    {
        await using var h = new WorkerHarness();
        h.Handlers.Add("echo", (JsonElement args, TaskContext _) => ValueTask.FromResult<object?>(args));
        var args = JsonDocument.Parse("""{"a": [1, "b", null]}""").RootElement;
        var id = await h.SubmitAsync("echo", args);
        await h.StartAsync();

        var task = await h.WaitTerminalAsync(id);
        Assert.True(JsonElement.DeepEquals(args, task.Result!.Value), $"result {task.Result} is not the args {args}");
        Assert.NotEqual(JsonValueKind.Null, task.Result.Value.ValueKind);
    }
}
