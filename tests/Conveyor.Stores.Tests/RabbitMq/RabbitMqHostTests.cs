using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.RabbitMq;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conveyor.Stores.Tests.RabbitMq;

/// <summary>A user's own Generic Host runs handlers on RabbitMQ + Redis: <c>AddConveyor(o =&gt; o.UseRabbitMq(url))</c>.</summary>
[Collection(RabbitMqConformanceCollection.Name)]
public sealed class RabbitMqHostTests(RabbitMqFixture rabbit)
{
    [Fact]
    public async Task A_hosted_worker_on_RabbitMQ_runs_a_task_submitted_by_another_store_instance()
    {
        var url = $"{rabbit.Url}?prefix=host.&records=redis://{rabbit.RedisConnectionString}/4";
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConveyor(o => o.UseRabbitMq(url));
        builder.Services.AddConveyorWorker(o => o.Queues = ["hosted"])
            .AddHandler("greet", (JsonElement args, TaskContext _) => ValueTask.FromResult<object?>($"hello {args.GetProperty("name").GetString()}"));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            // The producer is another connection, as another process would be.
            await using var producer = await RabbitMqTaskStore.ConnectAsync(RabbitMqStoreOptions.FromUrl(url));
            var engine = new TaskEngine(producer, TimeProvider.System);
            var submitted = await engine.Submit(new TaskSubmission { Type = "greet", Queue = "hosted", Args = JsonDocument.Parse("""{"name":"ada"}""").RootElement });
            var done = await engine.Wait(submitted.Task.Id, TimeSpan.FromSeconds(30));
            Assert.Equal(TaskState.Succeeded, done!.State);
            Assert.Equal("hello ada", done.Result!.Value.GetString());
            Assert.Equal("rabbitmq+redis", producer.Name);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
