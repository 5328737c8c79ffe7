using System.Text.Json;
using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>The dashboard's task actions, run by the writer: TaskRetryMany, TaskDeleteMany, BulkActionRecord.</summary>
internal static class SearchOps
{
    public static IReadOnlyList<RetryResult> TaskRetryMany(WriteContext ctx, IReadOnlyList<string> ids)
    {
        var now = ctx.Now();
        var results = new RetryResult[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            if (Move(ctx, "TaskRetryMany.Scheduled", id, now) || Move(ctx, "TaskRetryMany.Finished", id, now))
            {
                results[i] = new RetryResult(id, RetryOutcome.Retried, TaskState.Pending);
                continue;
            }
            var state = ctx.Command("TaskRetryMany.State");
            state.Set("$id", id);
            results[i] = state.ExecuteScalar() is string s
                ? new RetryResult(id, RetryOutcome.WrongState, ParseState(s))
                : new RetryResult(id, RetryOutcome.NotFound);
        }
        return results;
    }

    private static bool Move(WriteContext ctx, string query, string id, DateTimeOffset now)
    {
        var cmd = ctx.Command(query);
        cmd.Set("$id", id);
        cmd.Set("$now", Ticks(now));
        return ctx.MakePending(cmd, now, wake: true) == 1;
    }

    public static IReadOnlyList<DeleteResult> TaskDeleteMany(WriteContext ctx, IReadOnlyList<string> ids)
    {
        var results = new DeleteResult[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            var delete = ctx.Command("TaskDeleteMany.Delete");
            delete.Set("$id", id);
            string? queue = null, key = null;
            var deleted = false;
            using (var reader = delete.ExecuteReader())
            {
                if (reader.Read())
                {
                    deleted = true;
                    queue = reader.GetString(0);
                    key = reader.IsDBNull(1) ? null : reader.GetString(1);
                }
            }
            if (deleted)
            {
                if (key is not null)
                {
                    var keys = ctx.Command("TaskDeleteMany.Key");
                    keys.Set("$queue", queue);
                    keys.Set("$key", key);
                    keys.Set("$id", id);
                    keys.ExecuteNonQuery();
                }
                results[i] = new DeleteResult(id, DeleteOutcome.Deleted);
                continue;
            }
            var exists = ctx.Command("TaskDeleteMany.Exists");
            exists.Set("$id", id);
            results[i] = new DeleteResult(id, exists.ExecuteScalar() is null ? DeleteOutcome.NotFound : DeleteOutcome.Running);
        }
        return results;
    }

    public static bool BulkActionRecord(WriteContext ctx, BulkActionRecord r)
    {
        var insert = ctx.Command("BulkActionRecord.Insert");
        insert.Set("$id", r.Id);
        insert.Set("$at", Ticks(r.At));
        insert.Set("$actor", r.Actor);
        insert.Set("$action", r.Action);
        insert.Set("$filter", r.Filter is { } f ? f.GetRawText() : null);
        insert.Set("$ids_count", r.IdsCount);
        insert.Set("$matched", r.Matched);
        insert.Set("$changed", r.Changed);
        insert.ExecuteNonQuery();
        var trim = ctx.Command("BulkActionRecord.Trim");
        trim.Set("$kept", Store.BulkActionRecord.Kept);
        trim.ExecuteNonQuery();
        return true;
    }

    internal static JsonElement? Json(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();
}
