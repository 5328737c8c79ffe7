using System.CommandLine;
using System.Globalization;
using Conveyor.Cli.Infrastructure;
using Conveyor.Engine;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor queues [pause|resume NAME]</c>; <c>limits|limit|unlimit</c> in QueueLimitCommands.</summary>
internal static class QueuesCommand
{
    public static Command Create()
    {
        var command = new Command("queues", "Queues with counts by state; pause or resume one");
        command.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var queues = await BrokerClient.Call(() => client.Queues(ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) { Output.Json(queues); return ExitCodes.Ok; }
                if (queues.Count == 0) { Console.WriteLine("no queues yet: submit a task"); return ExitCodes.Ok; }
                static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
                Output.Table(["QUEUE", "STATE", "PENDING", "SCHEDULED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"],
                    queues.Select(q => (IReadOnlyList<string>)[q.Name, q.Paused ? "paused" : "active", N(q.Pending), N(q.Scheduled), N(q.Running), N(q.Succeeded), N(q.Failed), N(q.Cancelled), N(q.Expired)]));
                return ExitCodes.Ok;
            }
        });
        command.Subcommands.Add(Toggle("pause", "Stop leasing from a queue (it still accepts tasks)", pause: true));
        command.Subcommands.Add(Toggle("resume", "Resume leasing from a paused queue", pause: false));
        QueueLimitCommands.AddTo(command); // limits: limits, limit, unlimit
        return command;
    }

    private static Command Toggle(string name, string description, bool pause)
    {
        var queue = new Argument<string>("NAME") { Description = "Queue name" };
        var command = new Command(name, description) { queue };
        command.SetRun(async (r, ct) =>
        {
            var q = r.GetValue(queue)!;
            if (Names.CheckQueue(q) is { } e) throw new CliException(e);
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var info = await BrokerClient.Call(() => pause ? client.PauseQueue(q, ct) : client.ResumeQueue(q, ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) Output.Json(info);
                else Console.WriteLine($"queue {q} is {(info.Paused ? "paused" : "active")}");
                return ExitCodes.Ok;
            }
        });
        return command;
    }
}
