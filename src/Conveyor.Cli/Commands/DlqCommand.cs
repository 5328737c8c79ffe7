using System.CommandLine;
using Conveyor.Cli.Infrastructure;
using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor dlq list|retry|purge</c>: the dead-letter queue.</summary>
internal static class DlqCommand
{
    public static Command Create()
    {
        var command = new Command("dlq", "The dead-letter queue: tasks that failed every attempt");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Retry());
        command.Subcommands.Add(Purge());
        return command;
    }

    private static Option<string?> QueueOption() => new("--queue", "-q") { Description = "Only this queue" };

    private static Command List()
    {
        var queue = QueueOption();
        var limit = new Option<int>("--limit") { Description = "At most this many (1..1000)", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "List dead tasks, newest first") { queue, limit };
        command.SetRun(async (r, ct) =>
        {
            var q = CheckQueue(r.GetValue(queue));
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var page = await BrokerClient.Call(() => client.DeadLetters(q, r.GetValue(limit), null, ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) { Output.Json(page); return ExitCodes.Ok; }
                if (page.Items.Count == 0) { Console.WriteLine("the dead-letter queue is empty"); return ExitCodes.Ok; }
                Output.Table(["ID", "TYPE", "QUEUE", "ATTEMPTS", "FINISHED", "ERROR"], page.Items.Select(t => (IReadOnlyList<string>)
                    [t.Id, t.Type, t.Queue, t.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{t.FinishedAt:u}", Output.Short($"{t.Error?.Type}: {t.Error?.Message}", 80)]));
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Command Retry()
    {
        var id = new Argument<string?>("ID") { Description = "The dead task to retry", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Retry every dead task (of --queue when given)" };
        var queue = QueueOption();
        var command = new Command("retry", "Send dead tasks back to pending with fresh attempts") { id, all, queue };
        command.SetRun(async (r, ct) =>
        {
            var (taskId, q) = Target(r.GetValue(id), r.GetValue(all), r.GetValue(queue));
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var count = taskId is not null
                    ? (await BrokerClient.Call(() => client.RetryDeadLetter(taskId, ct)).ConfigureAwait(false) ? 1 : 0)
                    : await BrokerClient.Call(() => client.RetryDeadLetters(q, ct)).ConfigureAwait(false);
                return Report(r, "retried", count, taskId);
            }
        });
        return command;
    }

    private static Command Purge()
    {
        var id = new Argument<string?>("ID") { Description = "The dead task to delete", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Delete every dead task (of --queue when given)" };
        var queue = QueueOption();
        var command = new Command("purge", "Delete dead tasks for good") { id, all, queue };
        command.SetRun(async (r, ct) =>
        {
            var (taskId, q) = Target(r.GetValue(id), r.GetValue(all), r.GetValue(queue));
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var count = 0;
                if (taskId is not null)
                    count = await BrokerClient.Call(() => client.PurgeDeadLetter(taskId, ct)).ConfigureAwait(false) ? 1 : 0;
                else
                {
                    // Page through the dead tasks and delete each; new deaths during the purge are left alone.
                    while (true)
                    {
                        var page = await BrokerClient.Call(() => client.DeadLetters(q, 500, null, ct)).ConfigureAwait(false);
                        if (page.Items.Count == 0) break;
                        var deleted = 0;
                        foreach (var t in page.Items)
                            if (await BrokerClient.Call(() => client.PurgeDeadLetter(t.Id, ct)).ConfigureAwait(false)) deleted++;
                        count += deleted;
                        if (deleted == 0) break;
                    }
                }
                return Report(r, "purged", count, taskId);
            }
        });
        return command;
    }

    private static (string? Id, string? Queue) Target(string? id, bool all, string? queue)
    {
        if (id is null && !all) throw new CliException("name a task ID, or --all");
        if (id is not null && all) throw new CliException("give a task ID or --all, not both");
        return (id is null ? null : TaskCommands.CheckId(id), CheckQueue(queue));
    }

    private static string? CheckQueue(string? queue) =>
        queue is not null && Names.CheckQueue(queue) is { } e ? throw new CliException($"--queue: {e}") : queue;

    private static int Report(ParseResult r, string verb, int count, string? id)
    {
        if (Output.IsJson(r)) Output.Json(new { count });
        else Console.WriteLine($"{verb} {count} task{(count == 1 ? "" : "s")}");
        return id is not null && count == 0 ? ExitCodes.NotFound : ExitCodes.Ok;
    }
}
