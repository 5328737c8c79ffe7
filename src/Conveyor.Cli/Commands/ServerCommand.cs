using System.CommandLine;
using Conveyor.Cli.Configuration;
using Conveyor.Cli.Infrastructure;
using Conveyor.Server;
using Conveyor.Server.Hosting;
using Conveyor.Store;
using Conveyor.Gateway;
using Conveyor.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor server</c>: the broker alone (HTTP API, docs, maintenance).</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        ConfigFlag[] flags = [.. HostOptions.Server(), HostOptions.Store($"SQLite file (default ./{StoreSpec.DefaultFile}), :memory:, redis://host:port, or rabbitmq://user:pass@host:port/vhost?records=redis://host:port")];
        var command = new Command("server", "Run a broker: the HTTP API, docs and maintenance, on a store");
        HostOptions.AddTo(command, flags);
        command.SetRun(async (r, ct) =>
        {
            var settings = ConveyorSettings.Load(r, flags, HostRole.Server);
            return await Run(settings, withWorker: false, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Hosts a broker (and, for <c>up</c>, an in-process worker pool) until Ctrl-C or SIGTERM.</summary>
    internal static async Task<int> Run(ConveyorSettings settings, bool withWorker, CancellationToken ct)
    {
        var options = settings.Server;
        var spec = settings.Spec!;
        var worker = withWorker ? settings.Worker : null;
        var time = TimeProvider.System;
        using var storeLogging = StoreLogging.Create();
        await using var store = await StoreFactory.Open(spec, time, storeLogging, repliesOnThreadPool: true).ConfigureAwait(false); // perf: a broker runs no blocking user code
        WebApplicationBuilder builder;
        try
        {
            builder = ConveyorServer.CreateBuilder(options, _ => store);
        }
        catch (ServerConfigurationException e)
        {
            throw new CliException(e.Message);
        }
        builder.Services.AddSingleton(time);
        Telemetry.AddOtlp(builder.Services, worker is null ? "conveyor-server" : "conveyor-up");
        Logs.Configure(builder.Logging, builder.Configuration, settings);
        if (worker is not null)
        {
            builder.Services.AddSingleton<IWorkerGateway>(sp => new EngineGateway(sp.GetRequiredService<Engine.TaskEngine>()));
            builder.Services.AddConveyorWorker(o => WorkerOptionSet.Copy(worker, o, settings.Configuration)).AddBuiltInHandlers(b => WorkerOptionSet.Copy(settings.BuiltIns, b));
            builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(h => h.ShutdownTimeout = worker.DrainTimeout + TimeSpan.FromSeconds(10));
        }
        await using var app = builder.Build();
        app.MapConveyor();
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new CliException($"cannot listen on {string.Join(", ", options.ListenUrls())}: {e.Message}", ExitCodes.Unavailable);
        }
        Banner(app.Addresses().FirstOrDefault() ?? options.ListenUrls()[0], spec, options, worker);
        await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static void Banner(string url, StoreSpec spec, ServerOptions options, WorkerOptions? worker)
    {
        url = url.Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal).Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        var auth = options.Tokens.Count > 0 ? " -H 'Authorization: Bearer <token>'" : "";
        Console.WriteLine($"Conveyor is running on {url}  (store {spec})");
        Console.WriteLine($"  API        {url}/api/v1");
        Console.WriteLine($"  Docs       {url}/docs   (OpenAPI: {url}/openapi/v1.json)");
        Console.WriteLine($"  Metrics    {url}/metrics   Health: {url}/healthz  {url}/readyz");
        if (worker is not null)
            Console.WriteLine($"  Workers    {worker.Concurrency} in-process slots on {string.Join(",", worker.Queues)}: {string.Join(", ", BuiltInHandlers.Kinds)}");
        Console.WriteLine(options.Tokens.Count > 0 ? $"  Auth       {options.Tokens.Count} token(s) configured" : "  Auth       none (loopback only)");
        Console.WriteLine();
        Console.WriteLine("Try:");
        Console.WriteLine($"  curl -s -X POST {url}/api/v1/tasks{auth} -H 'Content-Type: application/json' -d '{{\"type\":\"fib\",\"args\":{{\"n\":35}}}}'");
        Console.WriteLine("Stop with Ctrl-C (running tasks finish first).");
        Console.Out.Flush();
    }
}
