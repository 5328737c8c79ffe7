using Conveyor.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Redis;

/// <summary>The scale-out store for the host: <c>services.AddConveyor(o =&gt; o.UseRedis("redis://10.0.0.5:6379"))</c>.</summary>
public static class RedisConveyorOptionsExtensions
{
    /// <summary>Redis at <paramref name="urlOrConfiguration"/> (see <see cref="RedisStoreOptions.ConnectionString"/>), on the container's clock and loggers.</summary>
    public static ConveyorOptions UseRedis(this ConveyorOptions options, string urlOrConfiguration) =>
        options.UseRedis(RedisStoreOptions.FromUrl(urlOrConfiguration));

    public static ConveyorOptions UseRedis(this ConveyorOptions options, RedisStoreOptions storeOptions)
    {
        ArgumentNullException.ThrowIfNull(storeOptions);
        return options.UseStore(sp =>
        {
            storeOptions.TimeProvider = sp.GetRequiredService<TimeProvider>();
            storeOptions.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            return RedisTaskStore.Connect(storeOptions);
        });
    }
}
