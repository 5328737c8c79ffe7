using Conveyor.RabbitMq;
using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;
using RabbitMQ.Client;

namespace Conveyor.Stores.Tests.RabbitMq;

/// <summary>
/// What the RabbitMQ-specific test classes share (<see cref="RabbitMqOutboxTests"/>,
/// <see cref="RabbitMqFlowControlTests"/>): a store of their own on the real server (a fresh key and
/// queue prefix), the records alone, and a plain AMQP connection to look inside the queues.
/// </summary>
public abstract class RabbitMqServerTests(RabbitMqFixture rabbit, string tag) : StoreConformanceBase, IAsyncLifetime
{
    /// <summary>This instance's key and queue prefix, so tests never see each other's tasks or messages.</summary>
    protected string Prefix { get; } = tag + Guid.NewGuid().ToString("N")[..12];

    private IConnection? amqp;

    /// <summary>The AMQP connection opened for this test.</summary>
    protected IConnection Amqp => amqp ?? throw new InvalidOperationException("not initialized");

    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => Open(time);

    protected async ValueTask<ITaskStore> Open(FakeTimeProvider time)
    {
        var options = RabbitMqStoreOptions.FromUrl($"{rabbit.Url}?prefix={Prefix}.&records=redis://{rabbit.RedisConnectionString}");
        options.Records.KeyPrefix = Prefix;
        options.TimeProvider = time;
        return await RabbitMqTaskStore.ConnectAsync(options);
    }

    /// <summary>The records alone, as a broker that crashed after writing them and before publishing would have left them.</summary>
    protected async Task<RedisTaskStore> RecordsOnly(FakeTimeProvider time) =>
        await RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = rabbit.RedisConnectionString, KeyPrefix = Prefix, TimeProvider = time });

    /// <summary>The RabbitMQ queue of the queue "default".</summary>
    protected string RabbitQueue => Prefix + ".default";

    protected async Task<uint> MessagesIn(string queue)
    {
        await using var ch = await Amqp.CreateChannelAsync();
        return (await ch.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    public async Task InitializeAsync()
    {
        var options = RabbitMqStoreOptions.FromUrl($"{rabbit.Url}?records=redis://{rabbit.RedisConnectionString}");
        amqp = await new ConnectionFactory { Uri = options.AmqpUri }.CreateConnectionAsync();
    }

    public async Task DisposeAsync()
    {
        if (amqp is not null) await amqp.DisposeAsync();
    }
}
