using System.CommandLine;
using System.Globalization;
using Conveyor.Cli.Infrastructure;
using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Limits;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor queues limits NAME</c> (QueueLimitList), <c>conveyor queues limit NAME LIMIT [--key K]
/// [--concurrency N] [--rate N --interval D]</c> (QueueLimitSet) and <c>conveyor queues unlimit NAME
/// LIMIT</c> (QueueLimitDelete), through a broker.
/// </summary>
internal static class QueueLimitCommands
{
    public static void AddTo(Command queues)
    {
        queues.Subcommands.Add(List());
        queues.Subcommands.Add(Set());
        queues.Subcommands.Add(Delete());
    }

    private static Argument<string> QueueArg() => new("NAME") { Description = "Queue name" };
    private static Argument<string> LimitArg() => new("LIMIT") { Description = "The limit's name within the queue (e.g. per-tenant)" };

    private static string CheckedQueue(ParseResult r, Argument<string> queue) =>
        r.GetValue(queue) is var q && Names.CheckQueue(q) is { } e ? throw new CliException(e) : q!;

    private static Command List()
    {
        var queue = QueueArg();
        var command = new Command("limits", "A queue's rate and concurrency limits, with their usage now") { queue };
        command.SetRun(async (r, ct) =>
        {
            var q = CheckedQueue(r, queue);
            var client = BrokerClient.Create(r, out var http);
            using (http) return Print(r, await BrokerClient.Call(() => client.QueueLimitList(q, ct)).ConfigureAwait(false));
        });
        return command;
    }

    private static Command Set()
    {
        var queue = QueueArg();
        var limit = LimitArg();
        var key = new Option<string?>("--key") { Description = "Count each value of metadata.<name> or args.<field> apart (default: the whole queue)" };
        var concurrency = new Option<int?>("--concurrency") { Description = "At most this many running at once" };
        var rate = new Option<int?>("--rate") { Description = "At most this many started per --interval" };
        var interval = new Option<string?>("--interval") { Description = "The rate's window: 1s, 500ms, 1m, 1h" };
        var command = new Command("limit", "Add or replace a limit of a queue, enforced when tasks are leased (admin)") { queue, limit, key, concurrency, rate, interval };
        command.SetRun(async (r, ct) =>
        {
            var q = CheckedQueue(r, queue);
            var l = new QueueLimit(r.GetValue(limit)!, r.GetValue(key), r.GetValue(concurrency), r.GetValue(rate),
                Durations.ParseOptional(r.GetValue(interval), "--interval"));
            if (l.Validate() is { Count: > 0 } errors) throw new CliException(string.Join("; ", errors.Select(e => $"--{e.Field}: {e.Message}")));
            var client = BrokerClient.Create(r, out var http);
            using (http) return Print(r, await BrokerClient.Call(() => client.QueueLimitSet(q, l, ct)).ConfigureAwait(false));
        });
        return command;
    }

    private static Command Delete()
    {
        var queue = QueueArg();
        var limit = LimitArg();
        var command = new Command("unlimit", "Remove a limit of a queue: its waiting tasks go back in line (admin)") { queue, limit };
        command.SetRun(async (r, ct) =>
        {
            var q = CheckedQueue(r, queue);
            var client = BrokerClient.Create(r, out var http);
            using (http) return Print(r, await BrokerClient.Call(() => client.QueueLimitDelete(q, r.GetValue(limit)!, ct)).ConfigureAwait(false));
        });
        return command;
    }

    private static int Print(ParseResult r, QueueLimitListResponse response)
    {
        if (Output.IsJson(r)) { Output.Json(response); return ExitCodes.Ok; }
        if (response.Limits.Count == 0) { Console.WriteLine($"queue {response.Queue} has no limits"); return ExitCodes.Ok; }
        static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var info in response.Limits)
        {
            var l = info.Limit;
            var bound = string.Join(", ", new[]
            {
                l.Concurrency is { } c ? $"{c} running" : null,
                l.Rate is { } n ? $"{n} per {(l.Interval ?? TimeSpan.Zero).TotalSeconds.ToString(CultureInfo.InvariantCulture)}s" : null,
            }.Where(x => x is not null));
            if (info.Usage.Count == 0) rows.Add([l.Name, l.Key ?? "(queue)", bound, "", "0", "0", "0"]);
            foreach (var u in info.Usage)
                rows.Add([l.Name, l.Key ?? "(queue)", bound, u.Key, N(u.Running), N(u.StartedInWindow), N(u.Waiting)]);
        }
        Output.Table(["LIMIT", "KEY", "AT MOST", "VALUE", "RUNNING", "STARTED IN WINDOW", "WAITING"], rows);
        return ExitCodes.Ok;
    }
}
