using System.CommandLine;
using System.Globalization;
using Conveyor.Cli.Infrastructure;
using Conveyor.Store;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor workers [quiet|stop ID]</c>: live and silent workers; quiet or stop one.</summary>
internal static class WorkersCommand
{
    public static Command Create()
    {
        var command = new Command("workers", "Live workers (host, pid, status, queues, types, running tasks, last heartbeat) and silent ones; quiet or stop one");
        command.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var list = await BrokerClient.Call(() => client.WorkerList(ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) { Output.Json(list); return ExitCodes.Ok; }
                if (list.Workers.Count == 0) Console.WriteLine("no live workers");
                else Table(list.Workers);
                if (list.Silent is { Count: > 0 } silent)
                {
                    Console.WriteLine();
                    Console.WriteLine("silent (no heartbeat within the live window, heard from within the hour):");
                    Table(silent);
                }
                return ExitCodes.Ok;
            }
        });
        command.Subcommands.Add(Tell("quiet", "Tell a worker to stop leasing and finish what it holds (it gets this with its next heartbeat)", WorkerCommandKind.Quiet));
        command.Subcommands.Add(Tell("stop", "Tell a worker to drain and exit (it gets this with its next heartbeat)", WorkerCommandKind.Stop));
        return command;
    }

    private static void Table(IReadOnlyList<WorkerInfo> workers)
    {
        static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        Output.Table(["ID", "HOST", "PID", "STATUS", "QUEUES", "TYPES", "CONCURRENCY", "RUNNING", "PROCESSED", "FAILED", "LAST HEARTBEAT"],
            workers.Select(w => (IReadOnlyList<string>)[w.Id, w.Host, N(w.Pid), w.Status, string.Join(",", w.Queues), Output.Short(string.Join(",", w.Types), 60),
                N(w.Concurrency), N(Math.Max(w.Running.Count, w.RunningTaskIds.Count)), N(w.Processed), N(w.Failed), $"{w.LastHeartbeat:u}"]));
    }

    private static Command Tell(string name, string description, WorkerCommandKind kind)
    {
        var id = new Argument<string>("ID") { Description = "Worker id (as `conveyor workers` lists it)" };
        var command = new Command(name, description) { id };
        command.SetRun(async (r, ct) =>
        {
            var workerId = r.GetValue(id)!;
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var answer = await BrokerClient.Call(() => kind == WorkerCommandKind.Stop ? client.StopWorker(workerId, ct) : client.QuietWorker(workerId, ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) Output.Json(answer);
                else Console.WriteLine($"worker {workerId}: told to {name} (with its next heartbeat)");
                return ExitCodes.Ok;
            }
        });
        return command;
    }
}
