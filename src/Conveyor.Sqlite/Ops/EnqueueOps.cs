using Conveyor.Json;
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
        var results = new EnqueueResult[tasks.Count];
        var insert = ctx.Command("TaskEnqueueMany.Insert");
        var bulk = new List<(TaskRecord Task, long Seq)>(tasks.Count);
        for (var i = 0; i < tasks.Count; i++)
        {
            var t = tasks[i];
            if (t.IdempotencyKey is null && t.UniqueKey is null)
            {
                bulk.Add((t, ctx.NextSeq()));
                results[i] = new EnqueueResult(t, Created: true);
            }
            else
            {
                // The key is scoped to the queue; a holder older than the window no longer counts.
                if (t.IdempotencyKey is { } idem)
                {
                    var find = ctx.Command("TaskEnqueueMany.KeyFind");
                    find.Set("$queue", t.Queue);
                    find.Set("$key", idem);
                    find.Set("$since", since);
                    if (find.ExecuteScalar() is string existingId && WriterReads.TaskGet(ctx, existingId) is { } existing)
                    {
                        results[i] = new EnqueueResult(existing, Created: false);
                        continue;
                    }
                }
                // limits: unique while active: a holder still pending, scheduled or running wins.
                if (t.UniqueKey is { } unique && LimitOps.UniqueHolder(ctx, t.Queue, unique) is { } holder)
                {
                    results[i] = new EnqueueResult(holder, Created: false);
                    continue;
                }
                if (t.IdempotencyKey is { } idemPut)
                {
                    var put = ctx.Command("TaskEnqueueMany.KeyPut");
                    put.Set("$queue", t.Queue);
                    put.Set("$key", idemPut);
                    put.Set("$task_id", t.Id);
                    put.Set("$created_at", Ticks(now));
                    put.ExecuteNonQuery();
                }
                if (t.UniqueKey is { } uniquePut) LimitOps.UniquePut(ctx, t.Queue, uniquePut, t.Id);
                Insert(insert, t, ctx.NextSeq());
                results[i] = new EnqueueResult(t, Created: true);
            }
            ctx.Event(t, t.State, now);
            // Scheduled tasks wake leasers too: a blocked leaser re-arms its timer for the new due time.
            ctx.Wake(t.Queue);
        }
        if (bulk.Count > 0)
        {
            var cmd = ctx.Command("TaskEnqueueMany.InsertMany");
            cmd.Set("$items", BulkItems(bulk));
            cmd.ExecuteNonQuery();
        }
        return results;
    }

    private static void Insert(Microsoft.Data.Sqlite.SqliteCommand insert, TaskRecord t, long seq)
    {
        insert.Set("$id", t.Id);
        insert.Set("$seq", seq);
        insert.Set("$type", t.Type);
        insert.Set("$queue", t.Queue);
        insert.Set("$state", State(t.State));
        insert.Set("$priority", t.Priority);
        insert.Set("$args", t.Args.GetRawText());
        insert.Set("$max_attempts", t.MaxAttempts);
        insert.Set("$backoff", BackoffJson(t.Backoff));
        insert.Set("$timeout", t.Timeout.Ticks);
        insert.Set("$key", t.IdempotencyKey);
        insert.Set("$unique_key", t.UniqueKey);
        insert.Set("$metadata", t.Metadata.Count == 0 ? null : MetadataJson.Write(t.Metadata)); // limits: no serializer for a plain map
        insert.Set("$created_at", Ticks(t.CreatedAt));
        insert.Set("$scheduled_for", Ticks(t.ScheduledFor));
        insert.Set("$expires_at", t.ExpiresAt is { } e ? Ticks(e) : null); // expiry
        insert.ExecuteNonQuery();
    }

    /// <summary>Tasks without a key as one JSON array: one statement inserts them all.</summary>
    private static string BulkItems(List<(TaskRecord Task, long Seq)> bulk)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(bulk.Count * 400);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var (t, seq) in bulk)
            {
                w.WriteStartObject();
                w.WriteString("id", t.Id);
                w.WriteNumber("seq", seq);
                w.WriteString("type", t.Type);
                w.WriteString("queue", t.Queue);
                w.WriteString("state", State(t.State));
                w.WriteNumber("priority", t.Priority);
                w.WritePropertyName("args");
                t.Args.WriteTo(w);
                w.WriteNumber("max_attempts", t.MaxAttempts);
                w.WriteString("backoff", BackoffJson(t.Backoff));
                w.WriteNumber("timeout", t.Timeout.Ticks);
                if (t.Metadata.Count > 0)
                {
                    w.WriteStartObject("metadata");
                    foreach (var (k, v) in t.Metadata) w.WriteString(k, v);
                    w.WriteEndObject();
                }
                w.WriteNumber("created_at", Ticks(t.CreatedAt));
                w.WriteNumber("scheduled_for", Ticks(t.ScheduledFor));
                if (t.ExpiresAt is { } e) w.WriteNumber("expires_at", Ticks(e)); // expiry
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
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
