using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Conveyor.Cli.Infrastructure;
using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor submit TYPE [ARGS_JSON]</c>: hand a task to the broker, optionally wait for it.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var type = new Argument<string>("TYPE") { Description = "Task type (handler name), e.g. fib, email.send" };
        var args = new Argument<string?>("ARGS_JSON") { Description = "Task arguments as JSON, e.g. '{\"n\": 35}'", Arity = ArgumentArity.ZeroOrOne };
        var queue = new Option<string?>("--queue", "-q") { Description = "Queue (default: default)" };
        var priority = new Option<int?>("--priority", "-p") { Description = "0..9, higher runs first" };
        var delay = new Option<string?>("--delay") { Description = "Run no sooner than this from now: 30, 10s, 5m" };
        var runAt = new Option<string?>("--run-at") { Description = "Run no sooner than this time (ISO 8601)" };
        var ttl = new Option<string?>("--ttl") { Description = "Expire the task if not started within this long (30s, 5m, 1h)" };
        var expiresAt = new Option<string?>("--expires-at") { Description = "Expire the task if not started by this time (ISO 8601)" };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Attempts before the task is dead (default 5)" };
        var timeout = new Option<string?>("--timeout") { Description = "Per-attempt time limit (default 30m)" };
        var key = new Option<string?>("--idempotency-key") { Description = "A repeat with the same key returns the first task" };
        var unique = new Option<string?>("--unique-key") { Description = "While a task with this key is pending, scheduled or running in the queue, return it instead" }; // limits
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait until the task finishes, showing progress" };
        var waitTimeout = new Option<string>("--wait-timeout") { Description = "How long --wait waits", DefaultValueFactory = _ => "5m" };

        var command = new Command("submit", "Submit a task to the broker") { type, args, queue, priority, delay, runAt, ttl, expiresAt, maxAttempts, timeout, key, unique, wait, waitTimeout };
        command.SetRun(async (r, ct) =>
        {
            var submission = new TaskSubmission
            {
                Type = r.GetValue(type)!,
                Args = ParseArgs(r.GetValue(args)),
                Queue = r.GetValue(queue),
                Priority = r.GetValue(priority),
                Delay = Durations.ParseOptional(r.GetValue(delay), "--delay"),
                RunAt = ParseTime(r.GetValue(runAt)),
                Ttl = Durations.ParseOptional(r.GetValue(ttl), "--ttl"),
                ExpiresAt = ParseTime(r.GetValue(expiresAt)),
                MaxAttempts = r.GetValue(maxAttempts),
                Timeout = Durations.ParseOptional(r.GetValue(timeout), "--timeout"),
                IdempotencyKey = r.GetValue(key),
                UniqueKey = r.GetValue(unique),
            };
            // Checked here too, so a typo costs no round trip and gets the same precise message.
            var errors = TaskValidator.Validate(submission, TaskLimits.Default);
            if (errors.Count > 0) throw new ConveyorValidationException(errors);

            var client = BrokerClient.Create(r, out var http);
            using (http)
            {
                var result = await BrokerClient.Call(() => client.Submit(submission, ct)).ConfigureAwait(false);
                if (!r.GetValue(wait))
                {
                    if (Output.IsJson(r)) Output.Json(result.Task);
                    else Console.WriteLine(result.Created
                        ? $"submitted {result.Task.Id} ({result.Task.Type} on {result.Task.Queue}, {result.Task.State.ToWire()})"
                        : $"already submitted {result.Task.Id} ({(submission.UniqueKey is not null && result.Task.UniqueKey == submission.UniqueKey && submission.IdempotencyKey is null ? "unique key held" : "idempotency key repeat")}; {result.Task.State.ToWire()})");
                    return ExitCodes.Ok;
                }
                if (!Output.IsJson(r)) Console.Error.WriteLine($"submitted {result.Task.Id}; waiting...");
                var limit = Durations.Parse(r.GetValue(waitTimeout)!, "--wait-timeout");
                return await TaskCommands.WaitAndReport(client, result.Task.Id, limit, Output.IsJson(r), ct).ConfigureAwait(false);
            }
        });
        return command;
    }

    internal static JsonElement? ParseArgs(string? text)
    {
        if (text is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CliException($"ARGS_JSON is not valid JSON: {e.Message}");
        }
    }

    private static DateTimeOffset? ParseTime(string? text) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw new CliException($"--run-at: '{text}' is not a date and time (ISO 8601, e.g. 2026-12-01T09:00:00Z)");
}
