using System.CommandLine;
using Conveyor.Cli.Infrastructure;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor up</c>: everything on one machine in one process — the broker, a worker pool running
/// the built-in task types, and a SQLite file in the working directory. What a new user runs first.
/// </summary>
internal static class UpCommand
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
        var workerOptions = new WorkerOptionSet();
        var command = new Command("up", "Start everything on this machine: broker, workers for the built-in task types, SQLite store")
        {
            port, host, store, tokens, keys, retention, retentionMax,
        };
        workerOptions.AddTo(command);
        command.SetRun(async (r, ct) =>
        {
            var options = HostOptions.Server(r, host, port, tokens);
            options.DataProtectionKeysPath = r.GetValue(keys);
            RetentionCommand.Apply(r, retention, retentionMax, options.Retention);
            var worker = workerOptions.Worker(r);
            var spec = StoreSpec.Parse(r.GetValue(store));
            return await ServerCommand.Run(options, spec, worker, workerOptions.BuiltIns(r), ct).ConfigureAwait(false);
        });
        return command;
    }
}
