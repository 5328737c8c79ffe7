using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Conveyor.Cli.Infrastructure;
using Conveyor.Client;
using Conveyor.Client.Protocol;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Workflows;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor workflow submit|status|cancel</c>: chains, groups, chords and batches (docs/workflows.md).</summary>
internal static class WorkflowCommand
{
    public static Command Create()
    {
        var command = new Command("workflow", "Workflows: chains, groups (chords) and batches of tasks");
        command.Subcommands.Add(Submit());
        command.Subcommands.Add(Status());
        command.Subcommands.Add(Cancel());
        return command;
    }

    private static Command Submit()
    {
        var body = new Argument<string?>("WORKFLOW_JSON") { Description = "The workflow as JSON ({\"workflow\": {\"chain\": [...]}})", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file", "-f") { Description = "Read the workflow's JSON from this file instead" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the workflow finishes; exit 0 when it succeeded" };
        var timeout = new Option<string>("--wait-timeout") { Description = "How long --wait waits", DefaultValueFactory = _ => "5m" };
        var command = new Command("submit", "Submit a workflow") { body, file, wait, timeout };
        command.SetRun(async (r, ct) =>
        {
            var submission = Parse(r.GetValue(body), r.GetValue(file));
            var limit = Durations.Parse(r.GetValue(timeout)!, "--wait-timeout");
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var view = await BrokerClient.Call(() => client.WorkflowSubmit(submission, ct)).ConfigureAwait(false);
                if (!r.GetValue(wait))
                {
                    if (Output.IsJson(r)) Output.Json(view); else Console.WriteLine(view.Workflow.Id);
                    return ExitCodes.Ok;
                }
                if (!Output.IsJson(r)) Console.Error.WriteLine($"workflow {view.Workflow.Id}");
                return await WaitAndReport(client, view.Workflow.Id, limit, Output.IsJson(r), ct).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static Command Status()
    {
        var id = IdArgument();
        var wait = new Option<bool>("--wait") { Description = "Wait until the workflow finishes; exit 0 when it succeeded" };
        var timeout = new Option<string>("--timeout") { Description = "How long --wait waits", DefaultValueFactory = _ => "5m" };
        var command = new Command("status", "Show a workflow: state, progress, each step's state, result") { id, wait, timeout };
        command.SetRun(async (r, ct) =>
        {
            var wid = CheckId(r.GetValue(id));
            var limit = Durations.Parse(r.GetValue(timeout)!, "--timeout");
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                if (r.GetValue(wait)) return await WaitAndReport(client, wid, limit, Output.IsJson(r), ct).ConfigureAwait(false);
                var view = await Get(client, wid, ct).ConfigureAwait(false);
                if (Output.IsJson(r)) Output.Json(view); else Print(view);
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static Command Cancel()
    {
        var id = IdArgument();
        var command = new Command("cancel", "Cancel a workflow: every step not finished is cancelled") { id };
        command.SetRun(async (r, ct) =>
        {
            var wid = CheckId(r.GetValue(id));
            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var before = await Get(client, wid, ct).ConfigureAwait(false);
                var view = await BrokerClient.Call(() => client.WorkflowCancel(wid, ct)).ConfigureAwait(false)
                    ?? throw new CliException($"no workflow {wid}", ExitCodes.NotFound);
                if (Output.IsJson(r)) Output.Json(view);
                if (before.Workflow.IsFinished)
                {
                    if (!Output.IsJson(r)) Console.Error.WriteLine($"already finished ({Wire(view.Workflow.State)}); nothing changed");
                    return ExitCodes.Failed;
                }
                if (!Output.IsJson(r)) Console.WriteLine("cancelled");
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static async Task<int> WaitAndReport(ConveyorClient client, string id, TimeSpan limit, bool json, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        string? last = null;
        WorkflowView view;
        while (true)
        {
            view = await Get(client, id, ct).ConfigureAwait(false);
            var p = view.Progress;
            var line = $"{Wire(view.Workflow.State)}: {p.Finished}/{p.Total} steps finished ({p.Succeeded} succeeded, {p.Failed} failed)";
            if (!json && line != last) Console.Error.WriteLine($"  {line}");
            last = line;
            if (view.Workflow.IsFinished || DateTimeOffset.UtcNow >= deadline) break;
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
        if (json) Output.Json(view); else Print(view);
        if (!view.Workflow.IsFinished)
        {
            Console.Error.WriteLine($"still running after {limit.TotalSeconds:0.#} s");
            return ExitCodes.Failed;
        }
        return view.Workflow.State == WorkflowState.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static async Task<WorkflowView> Get(ConveyorClient client, string id, CancellationToken ct) =>
        await BrokerClient.Call(() => client.WorkflowGet(id, ct)).ConfigureAwait(false) ?? throw new CliException($"no workflow {id}", ExitCodes.NotFound);

    private static void Print(WorkflowView view)
    {
        var wf = view.Workflow;
        Console.WriteLine($"id:       {wf.Id}");
        if (wf.Name is not null) Console.WriteLine($"name:     {wf.Name}");
        Console.WriteLine($"state:    {Wire(wf.State)}");
        Console.WriteLine($"progress: {view.Progress.Finished}/{view.Progress.Total} steps finished ({view.Progress.Succeeded} succeeded, {view.Progress.Failed} failed)");
        foreach (var b in view.Progress.Batches) Console.WriteLine($"batch {b.Index}:  {b.Finished}/{b.Total} members finished ({b.Percent}%)");
        if (wf.Error is not null) Console.WriteLine($"error:    {wf.Error}");
        if (wf.Result is { } result) Console.WriteLine($"result:   {Output.Short(result.GetRawText())}");
        Output.Table(["STEP", "PATH", "TYPE", "STATE", "TASK", "AFTER"], wf.Steps.Select(s => (IReadOnlyList<string>)
        [
            s.Index.ToString(CultureInfo.InvariantCulture), s.Path, s.Type, s.TaskState?.ToWire() ?? Wire(s.State), s.TaskId,
            string.Join(',', s.After.Select(a => a.ToString(CultureInfo.InvariantCulture))),
        ]));
    }

    private static string Wire<T>(T value) where T : struct, Enum => JsonSerializer.Serialize(value, Conveyor.Json.ConveyorJson.Options).Trim('"');

    private static WorkflowSubmission Parse(string? text, string? path)
    {
        if ((text is null) == (path is null)) throw new CliException("give the workflow as WORKFLOW_JSON or --file FILE (one of them)");
        if (path is not null)
        {
            try { text = File.ReadAllText(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {path}: {e.Message}"); }
        }
        try
        {
            using var doc = JsonDocument.Parse(text!);
            var submission = WorkflowJson.Parse(doc.RootElement);
            // Planned here too (with the default limits), so a bad tree is refused before any broker is asked.
            WorkflowPlanner.Build(submission, TaskIds.New(TimeProvider.System), () => TaskIds.New(TimeProvider.System), DateTimeOffset.UtcNow, TaskLimits.Default);
            return submission;
        }
        catch (JsonException e) { throw new CliException($"the workflow is not valid JSON: {e.Message}"); }
        catch (ConveyorValidationException e) { throw new CliException(e.Message); }
    }

    private static Argument<string> IdArgument() => new("ID") { Description = "Workflow id" };

    private static string CheckId(string? id) =>
        TaskIds.IsValid(id) ? id! : throw new CliException($"'{id}' is not a workflow id (a UUID like 0193c4d2-7b1e-7cc0-9a4e-2f1d3c5b6a79)");
}
