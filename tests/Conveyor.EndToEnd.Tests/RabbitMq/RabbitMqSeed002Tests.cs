using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Conveyor.Tests.RabbitMq;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.RabbitMq;

/// <summary>
/// Seed 002's deployment with real processes: a real rabbitmq-server and redis-server, a broker on
/// <c>--store rabbitmq://…?records=redis://…</c> (the seed's manager), HTTP workers and a worker
/// straight on the store consuming from RabbitMQ; the seed's requests verbatim. About 30 s, most of it
/// RabbitMQ starting; its own collection, ports and folders, so it runs beside the other tests.
/// </summary>
[Collection(nameof(RabbitMqSeed002Tests))]
public sealed class RabbitMqSeed002Tests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Seed_002_verbatim_fib_35_through_RabbitMQ_with_results_in_Redis()
    {
        using var rabbit = new RabbitMqServer(Path.Combine(_env.Directory, "rabbitmq"));
        rabbit.Start();
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        redis.Start();
        var store = $"{rabbit.Url("v1")}?records={redis.Url}";
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        var url = $"http://127.0.0.1:{port}";
        await using var manager = ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", store);
        await using var httpWorker = ConveyorProcess.Start(_env.Directory, "worker", "--broker", url, "--concurrency", "2");
        await using var directWorker = ConveyorProcess.Start(_env.Directory, "worker", "--store", store, "--concurrency", "2");
        try
        {
            await manager.WaitForOutput("Conveyor is running");
            Assert.Contains("rabbitmq", manager.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("conveyor-test", manager.Output, StringComparison.Ordinal); // the password is never logged
            var (_, http) = TestEnvironment.Client(url);
            using var disposeHttp = http;

            var ids = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                using var posted = await http.PostAsJsonAsync("task", new { number = 35 });
                var body = await posted.Content.ReadAsStringAsync();
                Assert.True(posted.IsSuccessStatusCode, body);
                using var doc = JsonDocument.Parse(body);
                ids.Add(doc.RootElement.GetProperty("task_id").GetString()!);
            }
            foreach (var id in ids)
            {
                var status = await WaitComplete(http, id, TimeSpan.FromSeconds(60));
                output.WriteLine($"GET /task/{id} -> {status}");
                using var doc = JsonDocument.Parse(status);
                Assert.Equal("complete", doc.RootElement.GetProperty("status").GetString());
                Assert.Equal(9227465, doc.RootElement.GetProperty("result").GetInt64());
            }
            // The tasks travelled through RabbitMQ: its queue for "default" exists, durable, and is drained.
            Assert.Contains("conveyor.default", rabbit.Output + await ListQueues(rabbit), StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine("--- manager ---\n" + manager.Output);
            output.WriteLine("--- http worker ---\n" + httpWorker.Output);
            output.WriteLine("--- direct worker ---\n" + directWorker.Output);
            throw;
        }
    }

    private static async Task<string> WaitComplete(HttpClient http, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetStringAsync($"task/{id}");
            if (last.Contains("\"complete\"", StringComparison.Ordinal) || last.Contains("\"failed\"", StringComparison.Ordinal)) return last;
            await Task.Delay(100);
        }
        return last;
    }

    /// <summary>The queues RabbitMQ holds, through a passive declare over AMQP (no management plugin).</summary>
    private static async Task<string> ListQueues(RabbitMqServer rabbit)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri($"amqp://{RabbitMqServer.User}:{RabbitMqServer.Password}@127.0.0.1:{rabbit.Port}/v1") };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var ok = await channel.QueueDeclarePassiveAsync("conveyor.default");
        return $"{ok.QueueName} holds {ok.MessageCount} messages";
    }

    public void Dispose() => _env.Dispose();
}
