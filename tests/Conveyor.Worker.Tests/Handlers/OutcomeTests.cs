using System.Text.Json;
using Conveyor.Model;

namespace Conveyor.Worker.Tests.Handlers;

public sealed class OutcomeTests
{
    [Fact]
    public async Task A_crashed_attempt_is_retried_and_the_next_one_succeeds()
    {
        await using var h = new WorkerHarness();
        h.Handlers.Add("crashy", (JsonElement _, TaskContext ctx) =>
            ctx.Attempt == 1 ? throw new InvalidOperationException("boom on the first try") : ValueTask.FromResult<object?>(ctx.Attempt));
        var id = await h.SubmitAsync("crashy", maxAttempts: 3);
        await h.StartAsync();

        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Succeeded, task.State);
        Assert.Equal(2, task.Attempt);
        Assert.Equal(2, task.Result?.GetInt32());
        var first = task.Attempts[0];
        Assert.Equal(AttemptOutcome.Failed, first.Outcome);
        Assert.Equal("InvalidOperationException", first.Error?.Type);
        Assert.Equal("boom on the first try", first.Error?.Message);
        Assert.Contains("at ", first.Error?.Detail); // the stack trace
    }

    [Fact]
    public async Task A_permanent_failure_goes_straight_to_the_dead_letter_queue()
    {
        await using var h = new WorkerHarness();
        h.Handlers.Add("doomed", (JsonElement _, TaskContext _) => throw new PermanentTaskFailure("this can never work", "bad_input"));
        var id = await h.SubmitAsync("doomed", maxAttempts: 5);
        await h.StartAsync();

        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal(1, task.Attempt);
        Assert.Equal("bad_input", task.Error?.Type);
        Assert.Equal("this can never work", task.Error?.Message);
    }

    [Fact]
    public async Task Retry_after_schedules_the_next_attempt_after_the_given_delay()
    {
        await using var h = new WorkerHarness();
        h.Handlers.Add("limited", (JsonElement _, TaskContext _) => throw new RetryTaskAfter(TimeSpan.FromHours(1), "rate limited"));
        var id = await h.SubmitAsync("limited", maxAttempts: 5);
        var before = DateTimeOffset.UtcNow;
        await h.StartAsync();

        await WorkerHarness.Eventually(async () => (await h.GetAsync(id)).State == TaskState.Scheduled, "the task is scheduled for a retry");
        var task = await h.GetAsync(id);
        Assert.Equal("retry_after", task.Error?.Type);
        Assert.True(task.ScheduledFor >= before + TimeSpan.FromMinutes(59), $"scheduled for {task.ScheduledFor}, expected an hour after {before}");
    }

    [Fact]
    public async Task A_task_type_without_a_handler_fails_the_attempt_with_unknown_type()
    {
        await using var h = new WorkerHarness();
        h.Handlers.Add("known", (JsonElement _, TaskContext _) => default);
        var id = await h.SubmitAsync("unknown.kind", maxAttempts: 1);
        await h.StartAsync();

        var task = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal("unknown_type", task.Error?.Type);
        Assert.Contains("'unknown.kind'", task.Error?.Message);
    }

    [Fact]
    public async Task Progress_reported_by_a_running_handler_is_visible_on_the_task()
    {
        await using var h = new WorkerHarness();
        var release = Signals.New<bool>();
        h.Handlers.Add("reporting", async (JsonElement _, TaskContext ctx) =>
        {
            ctx.ReportProgress(42, "halfway there");
            await release.Task.WaitAsync(ctx.CancellationToken);
            return null;
        });
        var id = await h.SubmitAsync("reporting");
        await h.StartAsync();

        await WorkerHarness.Eventually(async () => (await h.GetAsync(id)).Progress is not null, "progress shows on the task");
        var running = await h.GetAsync(id);
        Assert.Equal(TaskState.Running, running.State);
        Assert.Equal(42, running.Progress!.Percent);
        Assert.Equal("halfway there", running.Progress.Message);

        release.SetResult(true);
        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(id)).State);
    }

    [Fact]
    public async Task A_finished_task_shows_the_last_progress_its_handler_reported()
    {
        await using var h = new WorkerHarness();
        // Three reports within a few milliseconds: the renewer (at most one renewal a second) sends
        // none of them before the handler returns; the executor sends the last one before the outcome.
        h.Handlers.Add("quick-steps", (JsonElement _, TaskContext ctx) =>
        {
            ctx.ReportProgress(10, "step 1 of 3");
            ctx.ReportProgress(60, "step 2 of 3");
            ctx.ReportProgress(100, "step 3 of 3");
            return ValueTask.FromResult<object?>(null);
        });
        var id = await h.SubmitAsync("quick-steps");
        await h.StartAsync();

        var done = await h.WaitTerminalAsync(id);
        Assert.Equal(TaskState.Succeeded, done.State);
        Assert.Equal(new TaskProgress(100, "step 3 of 3"), done.Progress);
    }

    [Fact]
    public void Progress_outside_0_to_100_is_refused()
    {
        var slot = new Conveyor.Worker.Runtime.ExecutionSlot(TimeProvider.System);
        var ctx = new TaskContext(new TaskRecord
        {
            Id = "t", Type = "x", Queue = "default", Args = default, State = TaskState.Running,
            CreatedAt = DateTimeOffset.UnixEpoch, ScheduledFor = DateTimeOffset.UnixEpoch,
        }, slot, CancellationToken.None, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null);
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.ReportProgress(101));
        Assert.Throws<ArgumentOutOfRangeException>(() => ctx.ReportProgress(-1));
        Assert.Throws<InvalidOperationException>(() => ctx.Services);
    }
}
