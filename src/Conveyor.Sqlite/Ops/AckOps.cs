using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>
/// Complete, fail, extend and release: every one fenced by the lease token. A token that is not the
/// task's current one (the lease expired and the task moved on, or it was cancelled) changes nothing.
/// </summary>
internal static class AckOps
{
    public static IReadOnlyList<AckResult> TaskCompleteMany(WriteContext ctx, IReadOnlyList<TaskCompleteParams> items)
    {
        var now = ctx.Now();
        var cmd = ctx.Command("TaskCompleteMany.Complete");
        cmd.Set("$items", CompleteItems(items));
        cmd.Set("$now", Ticks(now));
        cmd.Set("$now_text", JsonTime(now));
        var done = new HashSet<string>(StringComparer.Ordinal);
        var tally = new HistoryTally();
        LimitGiveBack? giveBack = null; // limits: the slots held, given back once per slot of the batch
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                var id = reader.GetString(0);
                var queue = reader.GetString(1);
                done.Add(id);
                tally.Succeeded(queue);
                ctx.Event(id, queue, reader.GetString(2), TaskState.Succeeded, now);
                if (!reader.IsDBNull(3)) (giveBack ??= new()).Add(queue, reader.GetString(3));
            }
        }
        giveBack?.Apply(ctx);
        tally.Write(ctx, now);
        WorkflowOps.StepsEnded(ctx, done); // workflows: a step's end releases what follows in this transaction
        var results = new List<AckResult>(items.Count);
        foreach (var item in items)
            results.Add(done.Remove(item.TaskId) ? new AckResult(item.TaskId, AckOutcome.Ok, TaskState.Succeeded) : Miss(ctx, item.TaskId));
        return results;
    }

    /// <summary>The batch as one JSON array, so one statement completes it all (no round trip per task).</summary>
    private static string CompleteItems(IReadOnlyList<TaskCompleteParams> items)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(items.Count * 96);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var item in items)
            {
                w.WriteStartObject();
                w.WriteString("id", item.TaskId);
                w.WriteString("token", item.LeaseToken);
                if (item.Result is { } r)
                {
                    w.WritePropertyName("result");
                    r.WriteTo(w);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static IReadOnlyList<AckResult> TaskFailMany(WriteContext ctx, IReadOnlyList<TaskFailParams> items)
    {
        var now = ctx.Now();
        var results = new List<AckResult>(items.Count);
        var tally = new HistoryTally();
        foreach (var item in items)
        {
            var row = FailRow.Read(ctx, item.TaskId);
            if (row is null) { results.Add(new AckResult(item.TaskId, AckOutcome.NotFound)); continue; }
            if (row.State != TaskState.Running || row.LeaseToken != item.LeaseToken)
            {
                results.Add(new AckResult(item.TaskId, AckOutcome.StaleLease, row.State));
                continue;
            }
            var (state, scheduledFor) = ApplyFailure(ctx, row, item.Error, item.Retry, item.RetryDelay, "failed", now);
            tally.Failed(row.Queue);
            results.Add(new AckResult(item.TaskId, AckOutcome.Ok, state, scheduledFor));
        }
        tally.Write(ctx, now);
        return results;
    }

    /// <summary>
    /// A failed attempt: retried after the backoff while attempts are left and retry is wanted,
    /// otherwise dead (failed, in the dead-letter queue). Shared with the lease-expiry reclaimer.
    /// </summary>
    public static (TaskState State, DateTimeOffset? ScheduledFor) ApplyFailure(
        WriteContext ctx, FailRow row, TaskError error, bool retry, TimeSpan? retryDelay, string outcome, DateTimeOffset now)
    {
        var again = retry && row.Attempt < row.MaxAttempts;
        DateTimeOffset? scheduledFor = again
            ? now + (retryDelay ?? Backoff(row.BackoffJson).DelayAfter(row.Attempt, Random.Shared.NextDouble()))
            : null;
        var state = again ? TaskState.Scheduled : TaskState.Failed;
        var cmd = ctx.Command("TaskFailMany.Apply");
        cmd.Set("$rowid", row.RowId);
        cmd.Set("$state", State(state));
        cmd.Set("$scheduled_for", scheduledFor is { } s ? Ticks(s) : null);
        cmd.Set("$finished_at", again ? null : Ticks(now));
        cmd.Set("$error", ToJson(error));
        cmd.Set("$outcome", outcome);
        cmd.Set("$now_text", JsonTime(now));
        cmd.ExecuteNonQuery();
        ctx.Event(row.Id, row.Queue, row.Type, state, now);
        if (again) ctx.Wake(row.Queue);
        else WorkflowOps.StepsEnded(ctx, [row.Id]); // workflows: a dead step moves its workflow in this transaction
        return (state, scheduledFor);
    }

    public static IReadOnlyList<LeaseExtendResult> LeaseExtendMany(WriteContext ctx, IReadOnlyList<LeaseExtendParams> items)
    {
        var now = ctx.Now();
        var results = new List<LeaseExtendResult>(items.Count);
        var cmd = ctx.Command("LeaseExtendMany");
        foreach (var item in items)
        {
            var deadline = now + item.Duration;
            cmd.Set("$id", item.TaskId);
            cmd.Set("$token", item.LeaseToken);
            cmd.Set("$deadline", Ticks(deadline));
            cmd.Set("$progress", item.Progress is null ? null : ToJson(item.Progress));
            if (cmd.ExecuteScalar() is not null)
            {
                results.Add(new LeaseExtendResult(item.TaskId, AckOutcome.Ok, deadline));
                continue;
            }
            var state = StateOf(ctx, item.TaskId);
            if (state is null) results.Add(new LeaseExtendResult(item.TaskId, AckOutcome.NotFound));
            // Cancelled while running, asked by the worker that held the lease: answer Ok with
            // CancelRequested so it fires the handler's token. Nothing changes: the deadline is not
            // extended (LeaseDeadline null) and the progress is not recorded.
            else if (state.Value.State == TaskState.Cancelled && state.Value.CancelRequested && state.Value.LeaseToken == item.LeaseToken)
                results.Add(new LeaseExtendResult(item.TaskId, AckOutcome.Ok, null, CancelRequested: true));
            else results.Add(new LeaseExtendResult(item.TaskId, AckOutcome.StaleLease));
        }
        return results;
    }

    public static IReadOnlyList<AckResult> TaskReleaseMany(WriteContext ctx, IReadOnlyList<TaskReleaseParams> items)
    {
        var now = ctx.Now();
        var results = new List<AckResult>(items.Count);
        var cmd = ctx.Command("TaskReleaseMany");
        foreach (var item in items)
        {
            cmd.Set("$id", item.TaskId);
            cmd.Set("$token", item.LeaseToken);
            cmd.Set("$now_text", JsonTime(now));
            using var reader = cmd.ExecuteReader();
            if (reader.Read())
            {
                var queue = reader.GetString(0);
                ctx.Event(item.TaskId, queue, reader.GetString(1), TaskState.Pending, now);
                ctx.Wake(queue);
                results.Add(new AckResult(item.TaskId, AckOutcome.Ok, TaskState.Pending));
            }
            else
            {
                reader.Dispose();
                results.Add(Miss(ctx, item.TaskId));
            }
        }
        return results;
    }

    private static AckResult Miss(WriteContext ctx, string id) =>
        StateOf(ctx, id) is { } s ? new AckResult(id, AckOutcome.StaleLease, s.State) : new AckResult(id, AckOutcome.NotFound);

    private static (TaskState State, string? LeaseToken, bool CancelRequested)? StateOf(WriteContext ctx, string id)
    {
        var cmd = ctx.Command("TaskCompleteMany.StateOf");
        cmd.Set("$id", id);
        using var reader = cmd.ExecuteReader();
        if (!reader.Read()) return null;
        return (ParseState(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2) != 0);
    }
}

/// <summary>What a failure needs to know about a task (Sql/TaskFailMany.sql, Read).</summary>
internal sealed record FailRow(long RowId, string Id, string Queue, string Type, TaskState State, int Attempt, int MaxAttempts, string BackoffJson, string? LeaseToken, string? WorkerId)
{
    public static FailRow? Read(WriteContext ctx, string id)
    {
        var cmd = ctx.Command("TaskFailMany.Read");
        cmd.Set("$id", id);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        return new FailRow(r.GetInt64(0), id, r.GetString(1), r.GetString(2), ParseState(r.GetString(3)), r.GetInt32(4), r.GetInt32(5),
            r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8));
    }
}
