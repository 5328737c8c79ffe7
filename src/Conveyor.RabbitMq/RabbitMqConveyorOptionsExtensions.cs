using Conveyor.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.RabbitMq;

/// <summary>
/// RabbitMQ delivery with Redis records for the host:
/// <c>services.AddConveyor(o =&gt; o.UseRabbitMq("rabbitmq://user:pass@10.0.0.5:5672/conveyor?records=redis://10.0.0.6:6379"))</c>.
/// </summary>
public static class RabbitMqConveyorOptionsExtensions
{
    /// <summary>The store <paramref name="url"/> names (<see cref="RabbitMqStoreOptions.FromUrl"/>), on the container's clock and loggers.</summary>
    public static ConveyorOptions UseRabbitMq(this ConveyorOptions options, string url) =>
        options.UseRabbitMq(RabbitMqStoreOptions.FromUrl(url));

    public static ConveyorOptions UseRabbitMq(this ConveyorOptions options, RabbitMqStoreOptions storeOptions)
    {
        ArgumentNullException.ThrowIfNull(storeOptions);
        return options.UseStore(sp =>
        {
            storeOptions.TimeProvider = sp.GetRequiredService<TimeProvider>();
            storeOptions.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            // The container builds the store synchronously, once, when the host starts.
            return RabbitMqTaskStore.ConnectAsync(storeOptions).GetAwaiter().GetResult();
        });
    }
}
