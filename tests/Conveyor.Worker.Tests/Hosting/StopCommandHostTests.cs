using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Conveyor.Worker.Tests.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Worker.Tests.Hosting;

/// <summary>A stop command in a heartbeat's answer stops the hosted worker's host, which drains the pool first.</summary>
public sealed class StopCommandHostTests
{
    [Fact]
    public async Task A_stop_command_drains_the_pool_and_stops_the_host()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var started = Signals.New<bool>();
        var release = Signals.New<bool>();
        using var _ = HeartbeatAnswerTests.Releases(release);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddConveyor(o => o.UseSqlite(SqliteStoreOptions.InMemory));
        builder.Services.AddConveyorWorker(o => { o.Concurrency = 2; o.LeaseWait = TimeSpan.FromSeconds(1); o.LeaseDuration = TaskDefaults.MaxLeaseDuration; })
            .AddHandler("hold", async (JsonElement _, TaskContext ctx) =>
            {
                started.TrySetResult(true);
                await release.Task.WaitAsync(ctx.CancellationToken);
                return "held to the end";
            });
        using var host = builder.Build();
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<TaskEngine>();
        var pool = host.Services.GetRequiredService<WorkerPool>();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var id = (await engine.Submit(new TaskSubmission { Type = "hold" })).Task.Id;
        await started.Within("the handler started");

        Assert.Equal(WorkerCommandOutcome.Ok, await engine.WorkerCommand(new(pool.WorkerId, WorkerCommandKind.Stop)));
        await HeartbeatAnswerTests.BeatUntil(time, () => Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested), "the host began to stop");
        release.TrySetResult(true);
        await host.WaitForShutdownAsync().WaitAsync(WorkerHarness.Patience);

        var task = await engine.Get(id);
        Assert.Equal(TaskState.Succeeded, task?.State); // drained: it finished, it was not handed back
        Assert.Equal("held to the end", task?.Result?.GetString());
        Assert.Empty((await engine.WorkerList(TimeSpan.FromHours(1))).Live);
    }
}
