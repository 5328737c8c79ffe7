using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Worker.Tests.BuiltIns;

public sealed class BuiltInHandlerTests
{
    private static WorkerHarness WithBuiltIns(double dice = 0.5)
    {
        var h = new WorkerHarness();
        h.Handlers.AddBuiltIns(new BuiltInHandlerOptions
        {
            EmailSendDuration = TimeSpan.FromMilliseconds(20),
            HeavyDuration = TimeSpan.FromMilliseconds(40),
            Random = () => dice,
        });
        return h;
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public async Task Fib_35_is_9227465()
    {
        await using var h = WithBuiltIns();
        var id = await h.SubmitAsync("fib", Json("""{"n": 35}"""));
        await h.StartAsync();
        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Succeeded, task.State);
        Assert.Equal(JsonValueKind.Number, task.Result?.ValueKind);
        Assert.Equal(9227465, task.Result?.GetInt64());
    }

    [Theory]
    [InlineData(0, 0L)]
    [InlineData(1, 1L)]
    [InlineData(10, 55L)]
    [InlineData(90, 2880067194370816120L)]
    public void Fib_is_exact_up_to_90(int n, long expected) => Assert.Equal(expected, FibHandler.Fib(n));

    [Theory]
    [InlineData(-1)]
    [InlineData(91)]
    public async Task Fib_out_of_range_fails_permanently(int n)
    {
        await using var h = WithBuiltIns();
        var id = await h.SubmitAsync("fib", Json($$"""{"n": {{n}}}"""), maxAttempts: 5);
        await h.StartAsync();
        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal(1, task.Attempt);
        Assert.Equal("invalid_args", task.Error?.Type);
        Assert.Equal($"fib needs n between 0 and 90; got {n}", task.Error?.Message);
    }

    [Fact]
    public async Task Email_send_sends_and_answers_who_it_was_sent_to()
    {
        await using var h = WithBuiltIns();
        var id = await h.SubmitAsync("email.send", Json("""{"recipient_email": "ann@example.com", "subject": "Hi", "body": "Hello!"}"""));
        await h.StartAsync();
        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Succeeded, task.State);
        Assert.Equal("ann@example.com", task.Result?.GetProperty("sent_to").GetString());
    }

    [Theory]
    [InlineData("""{"recipient_email": "not-an-email", "subject": "Hi", "body": "x"}""", "recipient_email 'not-an-email' is not a valid email address")]
    [InlineData("""{"recipient_email": "ann@example", "subject": "Hi", "body": "x"}""", "is not a valid email address")]
    [InlineData("""{"recipient_email": "Ann <ann@example.com>", "subject": "Hi", "body": "x"}""", "is not a valid email address")]
    [InlineData("""{"subject": "Hi", "body": "x"}""", "recipient_email is required")]
    [InlineData("""{"recipient_email": "ann@example.com", "subject": " ", "body": "x"}""", "subject is required")]
    [InlineData("""{"recipient_email": "ann@example.com", "subject": "a\nb", "body": "x"}""", "subject must be one line")]
    [InlineData("""{"recipient_email": "ann@example.com", "subject": "Hi"}""", "body is required")]
    public async Task Email_send_with_invalid_fields_fails_permanently(string args, string problem)
    {
        await using var h = WithBuiltIns();
        var id = await h.SubmitAsync("email.send", Json(args), maxAttempts: 5);
        await h.StartAsync();
        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal(1, task.Attempt);
        Assert.Equal("invalid_args", task.Error?.Type);
        Assert.Contains(problem, task.Error?.Message);
    }

    [Fact]
    public async Task Noop_sleep_heavy_and_flaky_with_lucky_dice_succeed()
    {
        await using var h = WithBuiltIns(dice: 0.9);
        var noop = await h.SubmitAsync("noop");
        var sleep = await h.SubmitAsync("sleep", Json("""{"ms": 30}"""));
        var heavy = await h.SubmitAsync("heavy", Json("""{"data": [1, 2, 3]}"""));
        var flaky = await h.SubmitAsync("flaky", Json("""{"p": 0.5}"""));
        await h.StartAsync();

        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(noop)).State);
        Assert.Equal(30, (await h.WaitTerminalAsync(sleep)).Result?.GetProperty("slept_ms").GetInt64());
        var heavyResult = (await h.WaitTerminalAsync(heavy)).Result!.Value;
        Assert.Equal("[1,2,3]", heavyResult.GetProperty("processed").GetRawText());
        Assert.Equal(3, heavyResult.GetProperty("length").GetInt32());
        Assert.Equal(64, heavyResult.GetProperty("sha256").GetString()!.Length);
        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(flaky)).State);
    }

    [Fact]
    public async Task Fail_and_unlucky_flaky_exhaust_their_attempts_into_the_dead_letter_queue()
    {
        await using var h = WithBuiltIns(dice: 0.1);
        var fail = await h.SubmitAsync("fail", maxAttempts: 2);
        var flaky = await h.SubmitAsync("flaky", Json("""{"p": 0.5}"""), maxAttempts: 2);
        await h.StartAsync();

        foreach (var id in new[] { fail, flaky })
        {
            var task = await h.WaitTerminalAsync(id);
            Assert.Equal(TaskState.Failed, task.State);
            Assert.Equal(2, task.Attempt);
            Assert.Equal("IntentionalFailureException", task.Error?.Type);
        }
    }

    [Fact]
    public async Task Sleep_honours_cancellation()
    {
        await using var h = WithBuiltIns();
        var id = await h.SubmitAsync("sleep", Json("""{"ms": 600000}"""), maxAttempts: 1, timeout: TimeSpan.FromMilliseconds(200));
        await h.StartAsync();
        var task = await h.WaitTerminalAsync(id);
        Assert.Equal("timeout", task.Error?.Type);
    }

    [Fact]
    public void Built_in_kinds_are_all_registered()
    {
        var registry = new HandlerRegistry().AddBuiltIns();
        Assert.Equal(BuiltInHandlers.Kinds.Order(), registry.Kinds.Order());
        Assert.Equal(["email.send", "fail", "fib", "flaky", "heavy", "noop", "sleep", "sum"], registry.Kinds.Order());
    }

    [Fact]
    public async Task Sum_adds_arrays_and_a_workflow_steps_values_and_input()
    {
        await using var h = WithBuiltIns();
        var flat = await h.SubmitAsync("sum", Json("""[1, [2, 3], null, 4.5]"""));
        var step = await h.SubmitAsync("sum", Json("""{"values": [10], "input": [1, 2], "ms": 20}"""));
        var bad = await h.SubmitAsync("sum", Json("""{"ms": -1}"""), maxAttempts: 3);
        await h.StartAsync();
        Assert.Equal(10.5, (await h.WaitTerminalAsync(flat)).Result!.Value.GetDouble());
        Assert.Equal(13, (await h.WaitTerminalAsync(step)).Result!.Value.GetDouble());
        var refused = await h.WaitTerminalAsync(bad);
        Assert.Equal((TaskState.Failed, 1, "invalid_args"), (refused.State, refused.Attempt, refused.Error?.Type));
    }
}
