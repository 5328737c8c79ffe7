using System.CommandLine;
using Conveyor.Cli.Configuration;
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
        ConfigFlag[] flags = [.. HostOptions.Server(), HostOptions.Store($"SQLite file (default ./{StoreSpec.DefaultFile}), :memory:, redis://host:port, or rabbitmq://user:pass@host:port/vhost?records=redis://host:port"), .. HostOptions.Worker()];
        var command = new Command("up", "Start everything on this machine: broker, workers for the built-in task types, SQLite store");
        HostOptions.AddTo(command, flags);
        command.SetRun(async (r, ct) =>
        {
            var settings = ConveyorSettings.Load(r, flags, HostRole.Both);
            return await ServerCommand.Run(settings, withWorker: true, ct).ConfigureAwait(false);
        });
        return command;
    }
}
