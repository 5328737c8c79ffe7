using Conveyor.RabbitMq;
using Conveyor.Redis;
using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.Cli.Infrastructure;

/// <summary>Opens the store a <see cref="StoreSpec"/> names.</summary>
internal static class StoreFactory
{
    /// <param name="repliesOnThreadPool">Redis: <see cref="RedisStoreOptions.RepliesOnThreadPool"/> (for processes that run no blocking user code).</param>
    public static async Task<ITaskStore> Open(StoreSpec spec, TimeProvider time, ILoggerFactory? loggers = null, bool repliesOnThreadPool = false)
    {
        try
        {
            return spec.Kind switch
            {
                StoreKind.RabbitMq => await OpenRabbitMq(spec, time, loggers).ConfigureAwait(false),
                StoreKind.Redis => await RedisTaskStore.ConnectAsync(new RedisStoreOptions
                {
                    ConnectionString = spec.Location,
                    TimeProvider = time,
                    LoggerFactory = loggers,
                    RepliesOnThreadPool = repliesOnThreadPool,
                }).ConfigureAwait(false),
                _ => new SqliteTaskStore(new SqliteStoreOptions { Path = spec.Location, LoggerFactory = loggers }, time),
            };
        }
        catch (Exception e) when (e is not CliException and not OperationCanceledException)
        {
            throw new CliException($"cannot open the store {spec}: {e.Message}", ExitCodes.Unavailable);
        }
    }

    /// <summary>RabbitMQ delivers, Redis keeps the records and the registry (docs/rabbitmq.md).</summary>
    private static async Task<ITaskStore> OpenRabbitMq(StoreSpec spec, TimeProvider time, ILoggerFactory? loggers)
    {
        var options = RabbitMqStoreOptions.FromUrl(spec.Location);
        options.TimeProvider = time;
        options.LoggerFactory = loggers;
        return await RabbitMqTaskStore.ConnectAsync(options).ConfigureAwait(false);
    }
}
