using System.CommandLine;
using Conveyor.Cli.Configuration;
using Conveyor.Cli.Infrastructure;
using Conveyor.Client;
using Conveyor.Hosting;
using Conveyor.Store;
using Conveyor.Gateway;
using Conveyor.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor worker</c>: a worker pool for the built-in task types, against a broker over HTTP
/// (<c>--broker</c>, the default) or straight against a store (<c>--store</c>).
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        ConfigFlag[] flags =
        [
            HostOptions.Store("Work straight on a store (SQLite file, redis://... or rabbitmq://...?records=redis://...) instead of through a broker"),
            .. HostOptions.Worker(),
            ConfigFlag.Create("--metrics-port", "Telemetry:MetricsPort", "Serve this worker's metrics (Prometheus text) on http://127.0.0.1:PORT/metrics"),
        ];
        var command = new Command("worker", "Run a worker for the built-in task types (via --broker URL, or --store)");
        HostOptions.AddTo(command, flags);
        command.SetRun(async (r, ct) =>
        {
            var settings = ConveyorSettings.Load(r, flags, HostRole.Worker);
            var options = settings.Worker;
            var builder = Host.CreateApplicationBuilder();
            Logs.Configure(builder.Logging, builder.Configuration, settings);
            builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(h => h.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(10));
            Telemetry.AddOtlp(builder.Services, "conveyor-worker");
            if (settings.Telemetry.MetricsPort is { } mp) Telemetry.AddMetricsEndpoint(builder.Services, mp);
            string target;
            using var storeLogging = StoreLogging.Create();
            if (settings.Spec is { } spec)
            {
                var opened = await StoreFactory.Open(spec, TimeProvider.System, storeLogging).ConfigureAwait(false);
                builder.Services.AddConveyor(o => o.UseStore(_ => opened));
                builder.Services.AddHostedService(sp => new MaintenanceLoop(sp.GetRequiredService<Engine.TaskEngine>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<MaintenanceLoop>>()));
                target = spec.ToString();
            }
            else
            {
                var url = GlobalOptions.ResolveBroker(r);
                var token = GlobalOptions.ResolveToken(r);
                // Lease calls block up to LeaseWait on the broker; the client's timeout must be longer, and
                // short enough that a partition from the broker is noticed and logged within seconds (faults2).
                var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = options.LeaseWait + TimeSpan.FromSeconds(10) };
                await BrokerTokenCheck.Check(http.BaseAddress, url, token, ct).ConfigureAwait(false);
                builder.Services.AddSingleton(http);
                builder.Services.AddSingleton<IWorkerGateway>(sp => new HttpWorkerGateway(sp.GetRequiredService<HttpClient>(), token));
                target = url;
            }
            builder.Services.AddConveyorWorker(o => WorkerOptionSet.Copy(options, o, settings.Configuration)).AddBuiltInHandlers(b => WorkerOptionSet.Copy(settings.BuiltIns, b)).AddCrashHandlerFromEnvironment();
            using var host = builder.Build();
            await host.StartAsync(ct).ConfigureAwait(false);
            Console.WriteLine($"worker {host.Services.GetRequiredService<WorkerPool>().WorkerId} on {target}: queues {string.Join(",", options.Queues)}, concurrency {options.Concurrency}");
            await host.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
