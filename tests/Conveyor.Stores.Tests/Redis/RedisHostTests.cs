using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>A user's own Generic Host runs handlers straight on Redis: <c>AddConveyor(o =&gt; o.UseRedis(url))</c>.</summary>
public sealed class RedisHostTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task A_hosted_worker_on_Redis_runs_a_task_submitted_by_another_store_instance()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConveyor(o => o.UseRedis($"redis://127.0.0.1:{redis.Port}/3"));
        builder.Services.AddConveyorWorker(o => o.Queues = ["hosted"])
            .AddHandler("greet", (JsonElement args, TaskContext _) => ValueTask.FromResult<object?>($"hello {args.GetProperty("name").GetString()}"));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            // The producer is another connection, as another process would be.
            await using var producer = await RedisTaskStore.ConnectAsync(RedisStoreOptions.FromUrl($"redis://127.0.0.1:{redis.Port}/3"));
            var engine = new TaskEngine(producer, TimeProvider.System);
            var submitted = await engine.Submit(new TaskSubmission { Type = "greet", Queue = "hosted", Args = JsonDocument.Parse("""{"name":"ada"}""").RootElement });
            var done = await engine.Wait(submitted.Task.Id, TimeSpan.FromSeconds(30));
            Assert.Equal(TaskState.Succeeded, done!.State);
            Assert.Equal("hello ada", done.Result!.Value.GetString());
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
