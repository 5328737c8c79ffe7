using System.Text.Json;
using Conveyor.Model;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Worker.Tests.Runtime;

/// <summary>The worker's timers (timeouts, heartbeats) follow the injected TimeProvider, not the wall clock.</summary>
public sealed class InjectedClockTests
{
    [Fact]
    public async Task The_attempt_timeout_follows_the_injected_clock()
    {
        var workerTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = new WorkerHarness { WorkerTime = workerTime };
        h.Options.LeaseDuration = TimeSpan.FromMinutes(5); // no renewal is needed while the test runs
        var started = Signals.New<bool>();
        h.Handlers.Add("waits", async (JsonElement _, TaskContext ctx) =>
        {
            started.TrySetResult(true);
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return null;
        });
        var id = await h.SubmitAsync("waits", maxAttempts: 1, timeout: TimeSpan.FromMinutes(30));
        await h.StartAsync();
        await started.Within("the handler started");

        workerTime.Advance(TimeSpan.FromMinutes(29));
        await Task.Delay(200);
        Assert.Equal(TaskState.Running, (await h.GetAsync(id)).State); // 29 of 30 minutes: still running

        workerTime.Advance(TimeSpan.FromMinutes(2));
        var task = await h.WaitTerminalAsync(id);
        Assert.Equal("timeout", task.Error?.Type);
    }

    [Fact]
    public async Task Heartbeats_follow_the_injected_clock_and_report_progress_counters()
    {
        var workerTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = new WorkerHarness { WorkerTime = workerTime };
        h.Options.HeartbeatInterval = TimeSpan.FromSeconds(10);
        h.Handlers.AddBuiltIns(time: workerTime);
        var pool = await h.StartAsync();
        var ok = await h.SubmitAsync("noop");
        var bad = await h.SubmitAsync("fail", maxAttempts: 1);
        await h.WaitTerminalAsync(ok);
        await h.WaitTerminalAsync(bad);
        await WorkerHarness.Eventually(() => Task.FromResult(pool.Processed == 2), "the pool counted both attempts");

        var first = Assert.Single((await h.Engine.WorkerList(TimeSpan.FromHours(1))).Live);
        Assert.Equal(0, first.Processed); // the start-up heartbeat, before any work

        workerTime.Advance(TimeSpan.FromSeconds(10));
        await WorkerHarness.Eventually(async () => (await h.Engine.WorkerList(TimeSpan.FromHours(1))).Live.Single().Processed == 2, "the next heartbeat reports 2 processed");
        var info = Assert.Single((await h.Engine.WorkerList(TimeSpan.FromHours(1))).Live);
        Assert.Equal(1, info.Failed);
        Assert.Equal("running", info.Status);
    }
}
