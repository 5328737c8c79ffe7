using System.Text.Json;
using Conveyor.Model;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class LeaseLossTests
{
    [Fact]
    public async Task A_lease_reclaimed_by_maintenance_cancels_the_handler_and_the_worker_does_not_ack()
    {
        // The store runs on a fake clock we move past the lease deadline; the worker keeps real time.
        var storeTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = new WorkerHarness(storeTime);
        h.Options.LeaseDuration = TimeSpan.FromSeconds(1.5);
        var started = Signals.New<bool>();
        var cancelled = Signals.New<bool>();
        h.Handlers.Add("held", async (JsonElement _, TaskContext ctx) =>
        {
            started.TrySetResult(true);
            try { await Task.Delay(Timeout.Infinite, ctx.CancellationToken); }
            catch (OperationCanceledException) { cancelled.TrySetResult(true); throw; }
            return null;
        });
        var id = await h.SubmitAsync("held", maxAttempts: 1);
        await h.StartAsync();
        await started.Within("the handler started");

        storeTime.Advance(TimeSpan.FromMinutes(10));
        var maintenance = await h.Store.MaintenanceRun(TimeSpan.FromDays(7));
        Assert.Equal(1, maintenance.Reclaimed);
        await cancelled.Within("the handler's token fired after the lease was lost");

        await h.StopAsync();
        var task = await h.GetAsync(id);
        Assert.Equal(TaskState.Failed, task.State);
        Assert.Equal("lease_expired", task.Error?.Type); // the reclaim's verdict stands: no ack from the worker overwrote it
        Assert.Equal(0, h.Pool.Failed);
    }
}
