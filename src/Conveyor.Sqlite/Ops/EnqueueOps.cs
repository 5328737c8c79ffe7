using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>TaskEnqueueMany, run by the writer (Sql/TaskEnqueueMany.sql).</summary>
internal static class EnqueueOps
{
    public static IReadOnlyList<EnqueueResult> TaskEnqueueMany(WriteContext ctx, IReadOnlyList<TaskRecord> tasks)
    {
        var now = ctx.Now();
        var since = Ticks(now - ctx.Options.IdempotencyWindow);
        var results = new List<EnqueueResult>(tasks.Count);
        var insert = ctx.Command("TaskEnqueueMany.Insert");
        foreach (var t in tasks)
        {
            if (t.IdempotencyKey is { } key)
            {
                // The key is scoped to the queue; a holder older than the window no longer counts.
                var find = ctx.Command("TaskEnqueueMany.KeyFind");
                find.Set("$queue", t.Queue);
                find.Set("$key", key);
                find.Set("$since", since);
                if (find.ExecuteScalar() is string existingId && WriterReads.TaskGet(ctx, existingId) is { } existing)
                {
                    results.Add(new EnqueueResult(existing, Created: false));
                    continue;
                }
                var put = ctx.Command("TaskEnqueueMany.KeyPut");
                put.Set("$queue", t.Queue);
                put.Set("$key", key);
                put.Set("$task_id", t.Id);
                put.Set("$created_at", Ticks(now));
                put.ExecuteNonQuery();
            }
            insert.Set("$id", t.Id);
            insert.Set("$seq", ctx.NextSeq());
            insert.Set("$type", t.Type);
            insert.Set("$queue", t.Queue);
            insert.Set("$state", State(t.State));
            insert.Set("$priority", t.Priority);
            insert.Set("$args", t.Args.GetRawText());
            insert.Set("$max_attempts", t.MaxAttempts);
            insert.Set("$backoff", BackoffJson(t.Backoff));
            insert.Set("$timeout", t.Timeout.Ticks);
            insert.Set("$key", t.IdempotencyKey);
            insert.Set("$metadata", t.Metadata.Count == 0 ? null : ToJson(t.Metadata));
            insert.Set("$created_at", Ticks(t.CreatedAt));
            insert.Set("$scheduled_for", Ticks(t.ScheduledFor));
            insert.ExecuteNonQuery();
            results.Add(new EnqueueResult(t, Created: true));
            ctx.Event(t, t.State, now);
            // Scheduled tasks wake leasers too: a blocked leaser re-arms its timer for the new due time.
            ctx.Wake(t.Queue);
        }
        return results;
    }
}

/// <summary>Reads inside the writer's transaction (they see the batch's own uncommitted changes).</summary>
internal static class WriterReads
{
    public static TaskRecord? TaskGet(WriteContext ctx, string id)
    {
        var cmd = ctx.Command("TaskGet");
        cmd.Set("$id", id);
        using var reader = cmd.ExecuteReader();
        var rows = ReadAll(reader);
        return rows.Count == 0 ? null : rows[0].Record;
    }
}
