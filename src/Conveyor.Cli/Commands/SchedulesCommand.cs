using System.CommandLine;
using System.Globalization;
using Conveyor.Cli.Infrastructure;
using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Schedules;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor schedules</c> (ScheduleList) · <c>show NAME</c> (ScheduleGet) · <c>set NAME TYPE [ARGS_JSON] --cron E | --every D</c>
/// (ScheduleUpsert) · <c>delete NAME</c> · <c>pause NAME</c> · <c>resume NAME</c> · <c>run NAME</c> (ScheduleRunNow).
/// </summary>
internal static class SchedulesCommand
{
    public static Command Create()
    {
        var command = new Command("schedules", "Recurring tasks: list them; set, show, pause, resume, run now or delete one");
        command.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var list = await BrokerClient.Call(() => client.ScheduleList(ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) { Output.Json(list); return ExitCodes.Ok; }
                if (list.Count == 0) { Console.WriteLine("no schedules yet: conveyor schedules set NAME TYPE --cron '0 3 * * *'"); return ExitCodes.Ok; }
                Output.Table(["NAME", "WHEN", "TASK", "QUEUE", "STATE", "NEXT RUN", "LAST RUN"],
                    list.Select(s => (IReadOnlyList<string>)[s.Name, When(s), s.Task.Type, s.Task.Queue ?? "default", s.Paused ? "paused" : "active", Time(s.NextRunAt), Time(s.LastRunAt)]));
                return ExitCodes.Ok;
            }
        });
        command.Subcommands.Add(Set());
        command.Subcommands.Add(One("show", "A schedule's definition, next and last run", (c, n, ct) => c.ScheduleGet(n, ct)));
        command.Subcommands.Add(One("pause", "Stop submitting a schedule's ticks", (c, n, ct) => c.SchedulePause(n, ct)));
        command.Subcommands.Add(One("resume", "Resume a paused schedule at its next tick", (c, n, ct) => c.ScheduleResume(n, ct)));
        command.Subcommands.Add(RunNow());
        command.Subcommands.Add(Delete());
        return command;
    }

    private static Command Set()
    {
        var name = NameArgument();
        var type = new Argument<string>("TYPE") { Description = "Task type to submit at each tick" };
        var args = new Argument<string?>("ARGS_JSON") { Description = "Task arguments as JSON", Arity = ArgumentArity.ZeroOrOne };
        var cron = new Option<string?>("--cron") { Description = "Cron expression: 5 fields, or 6 with seconds first ('*/2 * * * * *')" };
        var every = new Option<string?>("--every") { Description = "Interval instead of cron: 30s, 5m, 1h" };
        var zone = new Option<string?>("--time-zone", "--tz") { Description = "IANA time zone of the cron expression (default UTC)" };
        var queue = new Option<string?>("--queue", "-q") { Description = "Queue (default: default)" };
        var priority = new Option<int?>("--priority", "-p") { Description = "0..9, higher runs first" };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Attempts before a task is dead (default 5)" };
        var timeout = new Option<string?>("--timeout") { Description = "Per-attempt time limit (default 30m)" };
        var misfire = new Option<string?>("--misfire") { Description = "Missed ticks: skip, once, catch_up (default catch_up)" };
        var catchUp = new Option<string?>("--catch-up") { Description = "How far back catch_up submits missed ticks (default 1h)" };
        var paused = new Option<bool>("--paused") { Description = "Store it paused (without it, an existing schedule keeps its paused flag)" };
        var command = new Command("set", "Create or replace a schedule") { name, type, args, cron, every, zone, queue, priority, maxAttempts, timeout, misfire, catchUp, paused };
        command.SetRun(async (r, ct) =>
        {
            var definition = new ScheduleDefinition
            {
                Name = r.GetValue(name)!,
                Cron = r.GetValue(cron),
                Interval = Durations.ParseOptional(r.GetValue(every), "--every"),
                TimeZone = r.GetValue(zone),
                Misfire = r.GetValue(misfire) switch
                {
                    null => null,
                    "skip" => MisfirePolicy.Skip,
                    "once" => MisfirePolicy.Once,
                    "catch_up" => MisfirePolicy.CatchUp,
                    var m => throw new CliException($"--misfire: '{m}' is not skip, once or catch_up"),
                },
                CatchUp = Durations.ParseOptional(r.GetValue(catchUp), "--catch-up"),
                Paused = r.GetValue(paused) ? true : null,
                Task = new ScheduleTask
                {
                    Type = r.GetValue(type)!,
                    Args = SubmitCommand.ParseArgs(r.GetValue(args)),
                    Queue = r.GetValue(queue),
                    Priority = r.GetValue(priority),
                    MaxAttempts = r.GetValue(maxAttempts),
                    Timeout = Durations.ParseOptional(r.GetValue(timeout), "--timeout"),
                },
            };
            // Checked here too, so a typo costs no round trip and gets the same precise message.
            var errors = ScheduleRules.Validate(definition, TaskLimits.Default);
            if (errors.Count > 0) throw new ConveyorValidationException(errors);
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var s = await BrokerClient.Call(() => client.ScheduleUpsert(definition, ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) Output.Json(s);
                else Console.WriteLine($"schedule {s.Name} ({When(s)}) {(s.Paused ? "paused" : "next run " + Time(s.NextRunAt))}");
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Command One(string verb, string description, Func<Client.ConveyorClient, string, CancellationToken, Task<ScheduleView>> call)
    {
        var name = NameArgument();
        var command = new Command(verb, description) { name };
        command.SetRun(async (r, ct) =>
        {
            var n = Checked(r.GetValue(name)!);
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var s = await BrokerClient.Call(() => call(client, n, ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) { Output.Json(s); return ExitCodes.Ok; }
                Console.WriteLine($"schedule {s.Name}: {When(s)}{(s.TimeZone is { } z ? " (" + z + ")" : "")}, {s.Task.Type} on {s.Task.Queue ?? "default"}, " +
                                  $"misfire {Wire(s.Misfire)}, {(s.Paused ? "paused" : "next run " + Time(s.NextRunAt))}, last run {Time(s.LastRunAt)}{(s.LastTaskId is { } t ? " (" + t + ")" : "")}");
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Command RunNow()
    {
        var name = NameArgument();
        var command = new Command("run", "Submit a schedule's task now (its next tick is unchanged)") { name };
        command.SetRun(async (r, ct) =>
        {
            var n = Checked(r.GetValue(name)!);
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var task = await BrokerClient.Call(() => client.ScheduleRunNow(n, ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) Output.Json(task);
                else Console.WriteLine($"submitted {task.Id} ({task.Type} on {task.Queue}) for schedule {n}");
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Command Delete()
    {
        var name = NameArgument();
        var command = new Command("delete", "Remove a schedule (the tasks it submitted stay)") { name };
        command.SetRun(async (r, ct) =>
        {
            var n = Checked(r.GetValue(name)!);
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                if (!await BrokerClient.Call(() => client.ScheduleDelete(n, ct)).ConfigureAwait(false))
                {
                    Console.Error.WriteLine($"conveyor schedules delete: no schedule named '{n}'");
                    return ExitCodes.NotFound;
                }
                Console.WriteLine($"schedule {n} deleted");
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "Schedule name (lower-case letters, digits, '.', '_', '-')" };

    private static string Checked(string name) =>
        Names.IsValidType(name) ? name : throw new CliException($"'{name}' is not a valid schedule name: it must match {Names.TypePattern}");

    private static string When(ScheduleView s) =>
        s.Cron is { } c ? "cron " + c : "every " + s.Interval!.Value.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s";

    private static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    private static string Wire(MisfirePolicy m) => m switch { MisfirePolicy.Skip => "skip", MisfirePolicy.Once => "once", _ => "catch_up" };
}
