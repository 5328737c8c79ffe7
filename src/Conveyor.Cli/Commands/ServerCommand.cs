using System.CommandLine;
using Conveyor.Cli.Infrastructure;
using Conveyor.Server;
using Conveyor.Server.Hosting;
using Conveyor.Store;
using Conveyor.Transport;
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
        var port = HostOptions.Port();
        var host = HostOptions.Host();
        var store = HostOptions.Store($"SQLite file (default ./{StoreSpec.DefaultFile}), :memory:, or redis://host:port");
        var tokens = HostOptions.TokensFile();
        var keys = HostOptions.DataProtectionKeys();
        var retention = RetentionCommand.RulesFlag();
        var retentionMax = RetentionCommand.MaxFlag();
        var command = new Command("server", "Run a broker: the HTTP API, docs and maintenance, on a store") { port, host, store, tokens, keys, retention, retentionMax };
        command.SetRun(async (r, ct) =>
        {
            var options = HostOptions.Server(r, host, port, tokens);
            options.DataProtectionKeysPath = r.GetValue(keys);
            RetentionCommand.Apply(r, retention, retentionMax, options.Retention);
            var spec = StoreSpec.Parse(r.GetValue(store));
            return await Run(options, spec, worker: null, builtIns: null, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Hosts a broker (and, for <c>up</c>, an in-process worker pool) until Ctrl-C or SIGTERM.</summary>
    internal static async Task<int> Run(ServerOptions options, StoreSpec spec, WorkerOptions? worker, Action<BuiltInHandlerOptions>? builtIns, CancellationToken ct)
    {
        try
        {
            ConveyorServer.Validate(options);
        }
        catch (ServerConfigurationException e)
        {
            throw new CliException(e.Message);
        }
        var time = TimeProvider.System;
        using var storeLogging = StoreLogging.Create();
        await using var store = await StoreFactory.Open(spec, time, storeLogging).ConfigureAwait(false);
        var builder = ConveyorServer.CreateBuilder(options, _ => store);
        builder.Services.AddSingleton(time);
        Telemetry.AddOtlp(builder.Services, worker is null ? "conveyor-server" : "conveyor-up");
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // One line per request at Information would drown the useful lines (and cost throughput).
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (worker is not null)
        {
            builder.Services.AddSingleton<ITaskTransport>(sp => new EngineTransport(sp.GetRequiredService<Engine.TaskEngine>()));
            builder.Services.AddConveyorWorker(o => WorkerOptionSet.Copy(worker, o)).AddBuiltInHandlers(builtIns);
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
