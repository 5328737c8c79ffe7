using Conveyor.RabbitMq;
using Conveyor.Redis;
using Conveyor.Store;
using Conveyor.Stores.Tests.Redis;
using Conveyor.Tests.RabbitMq;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.RabbitMq;

/// <summary>The one rabbitmq-server of this test run (it takes seconds to start), stopped when the run ends.</summary>
internal static class SharedRabbitMq
{
    private static readonly Lazy<RabbitMqServer> Server = new(() =>
    {
        var s = new RabbitMqServer();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => s.Dispose();
        s.Start();
        return s;
    });

    public static RabbitMqServer Instance => Server.Value;
}

/// <summary>RabbitMQ (the shared server, a vhost of this collection's own) with a redis-server for the records.</summary>
public sealed class RabbitMqFixture : IDisposable
{
    private readonly RedisServerFixture _redis = new();

    public RabbitMqFixture()
    {
        Vhost = RabbitMqServer.TakeVhost();
        Url = SharedRabbitMq.Instance.Url(Vhost);
    }

    public string Vhost { get; }
    public string Url { get; }
    public string RedisConnectionString => _redis.ConnectionString;

    public void Dispose() => _redis.Dispose();
}

[CollectionDefinition(Name)]
public sealed class RabbitMqConformanceCollection : ICollectionFixture<RabbitMqFixture>
{
    public const string Name = "rabbitmq-conformance";
}

/// <summary>RabbitMQ delivery paired with Redis records: fresh queue names and key prefix per test, reopened on the same ones for a restart.</summary>
public sealed class RabbitMqStores(RabbitMqFixture fixture)
{
    private string prefix = "";

    public async ValueTask<ITaskStore> Create(FakeTimeProvider time)
    {
        prefix = "r" + Guid.NewGuid().ToString("N")[..12];
        return await Reopen(time);
    }

    public async ValueTask<ITaskStore> Reopen(FakeTimeProvider time)
    {
        var options = RabbitMqStoreOptions.FromUrl($"{fixture.Url}?prefix={prefix}.&records=redis://{fixture.RedisConnectionString}");
        options.Records.KeyPrefix = prefix;
        options.TimeProvider = time;
        return await RabbitMqTaskStore.ConnectAsync(options);
    }
}

// The contract suites on RabbitMQ + Redis: each part on its own, and the pair.
[Collection(RabbitMqConformanceCollection.Name)]
public sealed class RabbitMqDeliveryConformanceTests(RabbitMqFixture rabbit) : TaskDeliveryConformanceTests
{
    private readonly RabbitMqStores stores = new(rabbit);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

[Collection(RabbitMqConformanceCollection.Name)]
public sealed class RabbitMqRecordsConformanceTests(RabbitMqFixture rabbit) : TaskRecordsConformanceTests
{
    private readonly RabbitMqStores stores = new(rabbit);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

[Collection(RabbitMqConformanceCollection.Name)]
public sealed class RabbitMqWorkersConformanceTests(RabbitMqFixture rabbit) : WorkerRegistryConformanceTests
{
    private readonly RabbitMqStores stores = new(rabbit);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}

[Collection(RabbitMqConformanceCollection.Name)]
public sealed class RabbitMqConformanceTests(RabbitMqFixture rabbit) : TaskStoreConformanceTests
{
    private readonly RabbitMqStores stores = new(rabbit);
    protected override TimeSpan TimePrecision => TimeSpan.FromMilliseconds(1);
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => stores.Create(time);
    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await stores.Reopen(time);
}
