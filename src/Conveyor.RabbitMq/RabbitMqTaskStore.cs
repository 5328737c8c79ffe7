using Conveyor.Redis;
using Conveyor.Store;

namespace Conveyor.RabbitMq;

/// <summary>RabbitMQ delivery with Redis records and registry, as one <see cref="ITaskStore"/> for the engine.</summary>
public static class RabbitMqTaskStore
{
    public static async Task<ITaskStore> ConnectAsync(RabbitMqStoreOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Records.TimeProvider = options.TimeProvider;
        options.Records.LoggerFactory ??= options.LoggerFactory;
        var records = await RedisTaskStore.ConnectAsync(options.Records).ConfigureAwait(false);
        try
        {
            var delivery = await RabbitMqTaskDelivery.ConnectAsync(options, records, ct).ConfigureAwait(false);
            return new ComposedTaskStore(delivery, records, records);
        }
        catch
        {
            await records.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
