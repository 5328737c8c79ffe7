using Conveyor.Diagnostics;
using Conveyor.Engine;
using Conveyor.Server.Api;
using Conveyor.Server.Auth;
using Conveyor.Server.Compat;
using Conveyor.Server.Hosting;
using Conveyor.Server.Http;
using Conveyor.Hosting;
using Conveyor.Server.Observability;
using Conveyor.Server.OpenApi;
using Microsoft.AspNetCore.Hosting;
using Conveyor.Store;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Scalar.AspNetCore;

namespace Conveyor.Server;

/// <summary>
/// The hosting entry point used by <c>conveyor server</c>, <c>conveyor up</c> and the tests:
/// <code>
/// var app = ConveyorServer.Build(options, sp => new SqliteTaskStore(...));
/// await app.StartAsync();   // or app.RunAsync()
/// </code>
/// For <c>conveyor up</c>: <see cref="CreateBuilder"/>, add the worker's services, <c>Build()</c>,
/// then <see cref="MapConveyor"/>.
/// </summary>
public static class ConveyorServer
{
    /// <summary>Checks the options (refuses non-loopback without tokens) and prepares a host with every Conveyor service.</summary>
    public static WebApplicationBuilder CreateBuilder(ServerOptions options, Func<IServiceProvider, ITaskStore> storeFactory, string[]? args = null)
    {
        Validate(options);
        // enqueue: the host's own appsettings reload off. It watched the whole working directory tree
        // (a recursive FileSystemWatcher): every file written anywhere under it cost the broker an
        // event and an lstat, 27% of its CPU in a W1 over HTTP run from a busy directory. Conveyor
        // reads its settings once at start (the CLI's ConveyorSettings); the tokens file has its own watch.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. args ?? [], "--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls([.. options.ListenUrls()]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBatchBodyBytes + 1;
            if (options.Tls.Enabled) k.ConfigureHttpsDefaults(h => h.ServerCertificate = options.Tls.Load());
        });
        // Per-request framework logs (request starting/finished, endpoint executing, result writing) at
        // Information cost ~5 console lines per call: at thousands of calls a second that was most of
        // the broker's CPU. Warnings and errors still show; our own categories keep their level.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddConveyorServer(options, storeFactory);
        return builder;
    }

    /// <summary><see cref="CreateBuilder"/>, Build, <see cref="MapConveyor"/>: a ready-to-start broker.</summary>
    public static WebApplication Build(ServerOptions options, Func<IServiceProvider, ITaskStore> storeFactory, string[]? args = null)
    {
        var app = CreateBuilder(options, storeFactory, args).Build();
        app.MapConveyor();
        return app;
    }

    /// <summary>Throws <see cref="ServerConfigurationException"/> when the server must not start with these options.</summary>
    public static void Validate(ServerOptions options)
    {
        if (options.Port is < 0 or > 65535) throw new ServerConfigurationException($"port must be 0..65535; got {options.Port}");
        if (options.MaxBodyBytes < 1024 || options.MaxBatchBodyBytes < options.MaxBodyBytes)
            throw new ServerConfigurationException("MaxBodyBytes must be at least 1024 and MaxBatchBodyBytes at least MaxBodyBytes");
        if (options.MaintenanceInterval <= TimeSpan.Zero || options.StatsInterval <= TimeSpan.Zero)
            throw new ServerConfigurationException("MaintenanceInterval and StatsInterval must be positive");
        if (options.SessionLifetime <= TimeSpan.Zero) throw new ServerConfigurationException("SessionLifetime must be positive");
        if (options.DataProtectionKeysPath is { Length: > 0 } keys) AuthSetup.KeysDirectory(keys);
        if (options.RateLimitPerToken < 0 || options.RateLimitPerAddress < 0 || options.RateLimitWindow <= TimeSpan.Zero)
            throw new ServerConfigurationException("RateLimitPerToken and RateLimitPerAddress must be 0 (off) or more, RateLimitWindow positive");
        if (options.Tls.Enabled) options.Tls.Load().Dispose(); // an unreadable certificate stops the start, naming the file
        BindGuard.Check(options);
    }

    public static IServiceCollection AddConveyorServer(this IServiceCollection services, ServerOptions options, Func<IServiceProvider, ITaskStore> storeFactory)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(storeFactory);
        services.TryAddSingleton(sp => new TaskEngine(sp.GetRequiredService<ITaskStore>(), sp.GetRequiredService<TimeProvider>())
        {
            SubmitMiddleware = [.. sp.GetServices<ISubmitMiddleware>()],
        });
        services.AddSingleton<CompatLeases>();
        services.AddSingleton<QueueGauges>();
        services.AddSingleton<QueueRates>();
        // The same upkeep loop as direct workers run; the server also refreshes its queue gauges every ~5 runs.
        services.AddHostedService(sp =>
        {
            var gauges = sp.GetRequiredService<QueueGauges>();
            return new MaintenanceLoop(sp.GetRequiredService<TaskEngine>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<MaintenanceLoop>>())
            {
                Interval = options.MaintenanceInterval,
                Retention = options.Retention.ToPolicy(),
                AfterRun = (tick, ct) => tick % 5 == 0 ? gauges.Refresh(ct) : Task.CompletedTask,
            };
        });
        if (options.Schedules.Count > 0) services.AddHostedService<Hosting.ConfiguredSchedules>(); // cron
        if (options.Limits.Count > 0) services.AddHostedService<Hosting.ConfiguredLimits>(); // limits
        services.AddCors();
        services.AddConveyorAuth(options);
        services.ConfigureHttpJsonOptions(o => ApiDocs.MirrorConveyorJson(o.SerializerOptions));
        services.AddOpenApi(o => { ApiDocs.Configure(o); ApiSecurityDocs.Configure(o); });
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(ConveyorDiagnostics.MeterName, QueueGauges.MeterName).AddPrometheusExporter());
        return services;
    }

    /// <summary>Adds the middleware (security headers, problems, auth) and every route: API, compatibility, health, metrics, OpenAPI, docs.</summary>
    public static WebApplication MapConveyor(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<ServerOptions>();
        app.Services.GetRequiredService<QueueGauges>();
        app.Services.GetRequiredService<QueueRates>();
        app.UseMiddleware<SecurityHeaders>();
        app.UseMiddleware<ProblemMiddleware>();
        app.UseRouting();
        if (options.CorsOrigins.Count > 0)
            app.UseCors(p => p.WithOrigins([.. options.CorsOrigins]).AllowAnyHeader().AllowAnyMethod());
        app.UseConveyorAuth();

        TaskEndpoints.Map(app);
        LeaseEndpoints.Map(app);
        LeaseBatchEndpoints.Map(app);
        QueueEndpoints.Map(app);
        QueueLimitEndpoints.Map(app); // limits
        DeadLetterEndpoints.Map(app);
        TaskActionEndpoints.Map(app);
        WorkerEndpoints.Map(app);
        WorkerCommandEndpoints.Map(app);
        TaskTypeEndpoints.Map(app);
        HistoryEndpoints.Map(app);
        RetentionEndpoints.Map(app);
        ScheduleEndpoints.Map(app); // cron
        WorkflowEndpoints.Map(app); // workflows
        EventEndpoints.Map(app);
        HealthEndpoints.Map(app);
        CompatEndpoints.Map(app);
        SessionEndpoints.Map(app);
        Dashboard.DashboardEndpoints.Map(app);

        var metrics = app.MapPrometheusScrapingEndpoint(Client.Protocol.Routes.Metrics);
        if (!options.PublicMetrics) metrics.RequireScope(Scopes.Admin);
        app.MapOpenApi();
        app.MapScalarApiReference(Client.Protocol.Routes.Docs, o => o.WithTitle("Conveyor API"));
        return app;
    }

    /// <summary>The addresses the server actually listens on (after start; resolves port 0).</summary>
    public static IReadOnlyList<string> Addresses(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
