using System.Text.Json;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class TimeoutAndCancelTests
{
    [Fact]
    public async Task An_attempt_past_its_timeout_is_cancelled_and_fails_with_timeout()
    {
        await using var h = new WorkerHarness();
        var tokenFired = Signals.New<bool>();
        h.Handlers.Add("slow", async (JsonElement _, TaskContext ctx) =>
        {
            using var reg = ctx.CancellationToken.Register(() => tokenFired.TrySetResult(true));
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return null;
        });
        var id = await h.SubmitAsync("slow", maxAttempts: 1, timeout: TimeSpan.FromMilliseconds(300));
        await h.StartAsync();

        var task = await h.WaitTerminalAsync(id);
        await tokenFired.Within("the handler's token fired on timeout");
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal("timeout", task.Error?.Type);
        Assert.Contains("timeout of 0.3 s", task.Error?.Message);
    }

    [Fact]
    public async Task Cancelling_a_running_task_fires_its_handlers_token_and_sends_no_ack()
    {
        await using var h = new WorkerHarness();
        h.Options.LeaseDuration = TimeSpan.FromSeconds(1.5); // renewals (and so the cancel news) every 0.5 s
        var started = Signals.New<bool>();
        var cancelled = Signals.New<bool>();
        h.Handlers.Add("long", async (JsonElement _, TaskContext ctx) =>
        {
            started.TrySetResult(true);
            try { await Task.Delay(Timeout.Infinite, ctx.CancellationToken); }
            catch (OperationCanceledException) { cancelled.TrySetResult(true); throw; }
            return null;
        });
        var id = await h.SubmitAsync("long");
        await h.StartAsync();
        await started.Within("the handler started");

        var cancel = await h.Engine.Cancel(id);
        Assert.Equal(CancelOutcome.CancelledWhileRunning, cancel.Outcome);
        await cancelled.Within("the handler's token fired after the cancel");

        await h.StopAsync();
        var task = await h.GetAsync(id);
        Assert.Equal(TaskState.Cancelled, task.State);
        Assert.Equal(1, h.Pool.Processed);
        Assert.Equal(0, h.Pool.Failed); // a cancelled attempt is neither acked nor counted as a failure
    }
}
