using Conveyor.Tests.RabbitMq;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.RabbitMq;

/// <summary>
/// <see cref="LimitsProcessTests"/> with RabbitMQ delivering (a real rabbitmq-server, Redis records): a
/// broker and five direct workers on <c>--store rabbitmq://…?records=redis://…</c>, the same 250 tasks, the
/// same loss checker and running-count probe. Over-limit tasks are parked in the records (their messages
/// acknowledged) and published again as slots free. 50-52 s measured on 2 cores at load average 40-68
/// (the Redis variant beside it: 38 s), a good part of it RabbitMQ starting; its own collection (a class of
/// its own), ports and folders, so it runs beside the other tests.
/// </summary>
public sealed class RabbitMqLimitsProcessTests(ITestOutputHelper output) : LimitsProcessTests(output)
{
    protected override (string Url, IDisposable Servers, RedisServer Redis) StartStore(string directory)
    {
        var rabbit = new RabbitMqServer(Path.Combine(directory, "rabbitmq"));
        var redis = new RedisServer(Path.Combine(directory, "redis"));
        var both = new Servers(rabbit, redis);
        try
        {
            rabbit.Start();
            redis.Start();
        }
        catch
        {
            both.Dispose();
            throw;
        }
        return ($"{rabbit.Url("v1")}?records={redis.Url}", both, redis);
    }

    private sealed class Servers(RabbitMqServer rabbit, RedisServer redis) : IDisposable
    {
        public void Dispose()
        {
            redis.Dispose();
            rabbit.Dispose();
        }
    }
}
