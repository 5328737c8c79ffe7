using Conveyor.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Server.Tests.Maintenance;

public sealed class MaintenanceServiceTests
{
    [Fact]
    public async Task The_server_reclaims_an_expired_lease_as_a_failed_attempt_on_the_injected_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var broker = await Broker.Start(time: time);
        var id = (await broker.PostOk("/api/v1/tasks", """{"type":"abandoned","max_attempts":1}""")).GetProperty("id").GetString();
        await broker.PostOk("/api/v1/leases", """{"worker_id":"vanished","queues":["default"],"max":1,"lease_duration":5}""");
        var waiting = broker.Http.GetAsync($"/api/v1/tasks/{id}/wait?timeout=300");

        // No heartbeat comes. Only fake time moves: the maintenance loop's jittered delay runs on it. A
        // minute and a half of it, in steps (well past the 5 s lease and many ticks, well short of the
        // wait's 300 s); then real time, generously, for the tick that fired to reclaim it (on a busy
        // machine that can take longer than the 50 ms a step waits).
        for (var i = 0; i < 90 && !waiting.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(waiting, Task.Delay(50));
        }
        await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(waiting.IsCompleted, "maintenance never reclaimed the lease");
        using var response = await waiting;
        var task = await Broker.Body(response, expectSuccess: true);
        Assert.Equal("failed", task.GetProperty("state").GetString());
        Assert.Equal("lease_expired", task.GetProperty("error").GetProperty("type").GetString());
    }
}
