using System.CommandLine;
using System.Globalization;
using Conveyor.Cli.Infrastructure;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor workers</c>: the live workers.</summary>
internal static class WorkersCommand
{
    public static Command Create()
    {
        var command = new Command("workers", "Live workers: host, pid, queues, concurrency, running tasks, last heartbeat");
        command.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var workers = await BrokerClient.Call(() => client.Workers(ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) { Output.Json(workers); return ExitCodes.Ok; }
                if (workers.Count == 0) { Console.WriteLine("no live workers"); return ExitCodes.Ok; }
                static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
                Output.Table(["ID", "HOST", "PID", "STATUS", "QUEUES", "CONCURRENCY", "RUNNING", "PROCESSED", "FAILED", "LAST HEARTBEAT"],
                    workers.Select(w => (IReadOnlyList<string>)[w.Id, w.Host, N(w.Pid), w.Status, string.Join(",", w.Queues), N(w.Concurrency), N(w.RunningTaskIds.Count), N(w.Processed), N(w.Failed), $"{w.LastHeartbeat:u}"]));
                return ExitCodes.Ok;
            }
        });
        return command;
    }
}
