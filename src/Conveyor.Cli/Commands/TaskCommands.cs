using System.CommandLine;
using Conveyor.Cli.Infrastructure;
using Conveyor.Client;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor status|wait|cancel ID</c>.</summary>
internal static class TaskCommands
{
    public static Command Status()
    {
        var id = IdArgument();
        var command = new Command("status", "Show a task: state, attempts, result or error") { id };
        command.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var task = await BrokerClient.Call(() => client.Get(CheckId(r.GetValue(id)), ct)).ConfigureAwait(false)
                    ?? throw new CliException($"no task {r.GetValue(id)}", ExitCodes.NotFound);
                if (Output.IsJson(r)) Output.Json(task); else Output.Task(task);
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    public static Command Wait()
    {
        var id = IdArgument();
        var timeout = new Option<string>("--timeout") { Description = "How long to wait", DefaultValueFactory = _ => "5m" };
        var command = new Command("wait", "Wait until a task finishes; exit 0 when it succeeded, 1 when it failed or was cancelled") { id, timeout };
        command.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http)
                return await WaitAndReport(client, CheckId(r.GetValue(id)), Durations.Parse(r.GetValue(timeout)!, "--timeout"), Output.IsJson(r), ct).ConfigureAwait(false);
        });
        return command;
    }

    public static Command Cancel()
    {
        var id = IdArgument();
        var command = new Command("cancel", "Cancel a task (pending: at once; running: the handler's token fires)") { id };
        command.SetRun(async (r, ct) =>
        {
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var result = await BrokerClient.Call(() => client.Cancel(CheckId(r.GetValue(id)), ct)).ConfigureAwait(false);
                if (Output.IsJson(r)) Output.Json(result);
                var (text, code) = result.Outcome switch
                {
                    CancelOutcome.Cancelled => ("cancelled", ExitCodes.Ok),
                    CancelOutcome.CancelledWhileRunning => ("cancelled while running: the worker stops it at its next heartbeat", ExitCodes.Ok),
                    CancelOutcome.AlreadyTerminal => ($"already finished ({result.Task?.State.ToWire()}); nothing changed", ExitCodes.Failed),
                    _ => ($"no task {r.GetValue(id)}", ExitCodes.NotFound),
                };
                if (!Output.IsJson(r)) (code == ExitCodes.Ok ? Console.Out : Console.Error).WriteLine(text);
                return code;
            }
        });
        return command;
    }

    /// <summary>Long-polls in short rounds so progress shows while it waits; exit 0 only for succeeded.</summary>
    internal static async Task<int> WaitAndReport(ConveyorClient client, string id, TimeSpan limit, bool json, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        string? last = null;
        TaskRecord? task;
        while (true)
        {
            var round = TimeSpan.FromSeconds(Math.Max(0, Math.Min(2, (deadline - DateTimeOffset.UtcNow).TotalSeconds)));
            task = await BrokerClient.Call(() => client.Wait(id, round, ct)).ConfigureAwait(false)
                ?? throw new CliException($"no task {id}", ExitCodes.NotFound);
            var line = $"{task.State.ToWire()} (attempt {task.Attempt}/{task.MaxAttempts}){(task.Progress is { } p ? $" {p.Percent}% {p.Message}" : "")}";
            if (!json && line != last) Console.Error.WriteLine($"  {line}");
            last = line;
            if (task.State.IsTerminal() || DateTimeOffset.UtcNow >= deadline) break;
        }
        if (json) Output.Json(task); else Output.Task(task);
        if (!task.State.IsTerminal())
        {
            Console.Error.WriteLine($"still {task.State.ToWire()} after {limit.TotalSeconds:0.#} s");
            return ExitCodes.Failed;
        }
        return task.State == TaskState.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
    }

    internal static Argument<string> IdArgument() => new("ID") { Description = "Task id" };

    internal static string CheckId(string? id) =>
        TaskIds.IsValid(id) ? id! : throw new CliException($"'{id}' is not a task id (a UUID like 0193c4d2-7b1e-7cc0-9a4e-2f1d3c5b6a79)");
}
