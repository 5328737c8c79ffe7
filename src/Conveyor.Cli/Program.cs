using System.CommandLine;
using Conveyor.Cli.Commands;
using Conveyor.Cli.Infrastructure;

var root = new RootCommand("conveyor — a distributed task queue for .NET. `conveyor up` starts everything on this machine.");
root.Options.Add(GlobalOptions.Broker);
root.Options.Add(GlobalOptions.Token);
root.Options.Add(GlobalOptions.Json);
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(ServerCommand.Create());
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(SubmitCommand.Create());
root.Subcommands.Add(TaskCommands.Status());
root.Subcommands.Add(TaskCommands.Wait());
root.Subcommands.Add(TaskCommands.Cancel());
root.Subcommands.Add(DlqCommand.Create());
root.Subcommands.Add(QueuesCommand.Create());
root.Subcommands.Add(SchedulesCommand.Create()); // cron
root.Subcommands.Add(RetentionCommand.Create());
root.Subcommands.Add(WorkersCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(HealthCommand.Create());
root.Subcommands.Add(StoreCommand.Create()); // ops
root.Subcommands.Add(WorkflowCommand.Create()); // workflows

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors) Console.Error.WriteLine($"conveyor: {error.Message}");
    Console.Error.WriteLine("Run 'conveyor --help' for usage.");
    return ExitCodes.Usage;
}
// ProcessTerminationTimeout = null: System.CommandLine neither watches signals nor ends the process
// 2 s after one; TerminationSignals (CommandRunner) turns them into the commands' cancellation token.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
