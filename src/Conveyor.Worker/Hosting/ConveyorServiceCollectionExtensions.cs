using Conveyor.Engine;
using Conveyor.Hosting;
using Conveyor.Store;
using Conveyor.Gateway;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conveyor.Worker;

/// <summary>Generic Host integration.</summary>
public static class ConveyorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the store (from <see cref="ConveyorOptions.UseStore"/>), the <see cref="TaskEngine"/>,
    /// <see cref="TimeProvider.System"/> (unless one is registered) and, as the worker's default transport,
    /// <see cref="EngineGateway"/> (unless another <see cref="IWorkerGateway"/> is registered).
    /// </summary>
    public static IServiceCollection AddConveyor(this IServiceCollection services, Action<ConveyorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new ConveyorOptions();
        configure(options);
        var factory = options.StoreFactory
            ?? throw new ConveyorValidationException("store", "choose a store: services.AddConveyor(o => o.UseStore(sp => ...))");
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ITaskStore>(factory);
        services.AddSingleton(sp => new TaskEngine(sp.GetRequiredService<ITaskStore>(), sp.GetRequiredService<TimeProvider>(), options.Limits)
        {
            SubmitMiddleware = [.. sp.GetServices<ISubmitMiddleware>()],
        });
        services.TryAddSingleton<IWorkerGateway>(sp => new EngineGateway(sp.GetRequiredService<TaskEngine>()));
        return services;
    }

    /// <summary>
    /// Adds a submit-side middleware (<see cref="ISubmitMiddleware"/>) to the engine's chain, after the
    /// ones added before. The engine runs it around every submit, whatever the front end.
    /// </summary>
    public static IServiceCollection AddConveyorSubmitMiddleware<T>(this IServiceCollection services) where T : class, ISubmitMiddleware
    {
        services.AddSingleton<ISubmitMiddleware, T>();
        return services;
    }

    /// <summary>
    /// Runs a worker pool as a hosted service over the registered <see cref="IWorkerGateway"/>. Returns
    /// the builder to register handlers on. Options are validated when the host starts.
    /// </summary>
    public static ConveyorWorkerBuilder AddConveyorWorker(this IServiceCollection services, Action<WorkerOptions>? configure = null)
    {
        var optionsBuilder = services.AddOptions<WorkerOptions>();
        if (configure is not null) optionsBuilder.Configure(configure);
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(HandlerRegistrations))?.ImplementationInstance as HandlerRegistrations;
        if (existing is not null) return new ConveyorWorkerBuilder(services, existing);

        var registrations = new HandlerRegistrations();
        services.AddSingleton(registrations);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => registrations.Build(sp));
        services.AddSingleton<WorkerPool>(sp => new WorkerPool(
            sp.GetService<IWorkerGateway>() ?? throw new InvalidOperationException(
                "the worker has no transport: call services.AddConveyor(o => o.UseSqlite(...)) to work on a store in-process, or register an IWorkerGateway (e.g. the HTTP client's) to work for a broker"),
            sp.GetRequiredService<HandlerRegistry>(),
            sp.GetRequiredService<IOptions<WorkerOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHostedService<WorkerHostedService>();
        return new ConveyorWorkerBuilder(services, registrations);
    }
}

/// <summary>Runs the <see cref="WorkerPool"/> for the lifetime of the host; stopping the host drains it.</summary>
internal sealed class WorkerHostedService(IServiceProvider services) : IHostedService
{
    private WorkerPool? _pool;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _pool = services.GetRequiredService<WorkerPool>();
        // A stop command from the broker stops the whole host, which then drains the pool (StopAsync).
        if (services.GetService<IHostApplicationLifetime>() is { } lifetime) _pool.StopCommandHandler = lifetime.StopApplication;
        return _pool.StartAsync(cancellationToken);
    }

    // The host's shutdown token bounds the drain: when it fires first, handlers are cancelled at once.
    public Task StopAsync(CancellationToken cancellationToken) => _pool?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
