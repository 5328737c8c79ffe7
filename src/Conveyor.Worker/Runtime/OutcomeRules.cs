using System.Text.Json;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Worker.Runtime;

internal enum OutcomeKind { Completed, Failed, Released, Dropped }

/// <summary>What to tell the broker about one finished attempt.</summary>
internal readonly record struct AckDecision(OutcomeKind Kind, object? Ack, string? Why = null)
{
    public void Post(AckBuffer acks)
    {
        switch (Ack)
        {
            case TaskCompleteParams c: acks.Post(c); break;
            case TaskFailParams f: acks.Post(f); break;
            case TaskReleaseParams r: acks.Post(r); break;
        }
    }
}

/// <summary>The delivery contract of one attempt, decided in one place.</summary>
internal static class OutcomeRules
{
    public static AckDecision Decide(LeasedTask leased, object? result, Exception? error, CancelReason reason, TimeSpan elapsed, int maxResultBytes)
    {
        var id = leased.Task.Id;
        var token = leased.LeaseToken;

        // Cancelled while running, or the lease moved on: the store has already decided this task's
        // fate and fenced our token off, so an ack would be refused. Send nothing, whatever the handler did.
        if (reason is CancelReason.CancelRequested or CancelReason.LeaseLost)
            return new(OutcomeKind.Dropped, null, reason == CancelReason.CancelRequested ? "cancelled" : "lease lost");

        if (error is null)
        {
            // Finished work is acknowledged even when a drain or timeout fired late: running it again
            // would only repeat a side effect that already happened.
            if (!TrySerialize(result, maxResultBytes, out var json, out var problem))
                return Fail(id, token, new TaskError("invalid_result", problem!), retry: false);
            return new(OutcomeKind.Completed, new TaskCompleteParams(id, token, json));
        }

        switch (reason)
        {
            case CancelReason.Shutdown:
                // The drain deadline passed and we stopped the handler ourselves: that is not the task's
                // fault, so it goes back to pending without charging the attempt. It runs again elsewhere
                // (at-least-once: better run twice than lose it).
                return new(OutcomeKind.Released, new TaskReleaseParams(id, token));
            case CancelReason.Timeout:
                return Fail(id, token, new TaskError("timeout",
                    $"the attempt ran past its timeout of {leased.Task.Timeout.TotalSeconds:0.###} s (ran {elapsed.TotalSeconds:0.###} s)"), retry: true);
        }

        return error switch
        {
            PermanentTaskFailure p => Fail(id, token, new TaskError(p.ErrorType, p.Message, p.InnerException?.ToString()), retry: false),
            RetryTaskAfter r => Fail(id, token, new TaskError(r.ErrorType, r.Message), retry: true, r.Delay),
            // Another worker on this queue may know the type, so this is an ordinary (retried) failure.
            UnknownTaskTypeException u => Fail(id, token, new TaskError("unknown_type", u.Message), retry: true),
            _ => Fail(id, token, new TaskError(error.GetType().Name, error.Message, error.ToString()), retry: true),
        };
    }

    private static AckDecision Fail(string id, string token, TaskError error, bool retry, TimeSpan? delay = null) =>
        new(OutcomeKind.Failed, new TaskFailParams(id, token, error, retry, delay));

    private static bool TrySerialize(object? result, int maxBytes, out JsonElement? json, out string? problem)
    {
        json = null;
        problem = null;
        try
        {
            json = result switch
            {
                null => null,
                JsonElement e => e,
                JsonDocument d => d.RootElement.Clone(),
                _ => JsonSerializer.SerializeToElement(result, result.GetType(), ConveyorJson.Options),
            };
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            problem = $"the handler's result ({result!.GetType().Name}) cannot be written as JSON: {ex.Message}";
            return false;
        }
        if (json is { } j && j.ValueKind != JsonValueKind.Undefined && Engine.TaskValidator.CheckResult(j, new Engine.TaskLimits { MaxResultBytes = maxBytes }) is { } tooBig)
        {
            problem = tooBig;
            json = null;
            return false;
        }
        return true;
    }
}
