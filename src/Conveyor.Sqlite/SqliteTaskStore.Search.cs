using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Sqlite.Ops;
using Conveyor.Store;
using Microsoft.Data.Sqlite;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite;

// TaskList's search filters, and the dashboard's task actions: retry now, delete, the bulk-action audit log, dead letters by error type.
public sealed partial class SqliteTaskStore
{
    private static void SetSearch(SqliteCommand cmd, TaskListParams query)
    {
        if (query.IdempotencyKey is not null) cmd.Set("$key", query.IdempotencyKey);
        cmd.Set("$tag_key", query.TagKey);
        cmd.Set("$tag_value", query.TagValue);
        cmd.Set("$error", query.Error);
        cmd.Set("$error_type", query.ErrorType);
    }

    /// <summary>How many rows an error or tag search looks at per call (a page may then come back short, with a cursor).</summary>
    internal const int SearchScanBudget = 10_000;

    /// <summary>
    /// An error or tag search: the matches among the next <see cref="SearchScanBudget"/> rows (newest
    /// first) of the state/queue/type filters. Short of a full page, the cursor is the oldest row looked
    /// at when the budget ran out, and none when nothing is left below it.
    /// </summary>
    private TaskPage SearchBounded(TaskListParams query, int limit) => readers.Read(r =>
    {
        // One read transaction: Scan and ScanEnd see the same snapshot, so ScanEnd's window is Scan's.
        Connections.Scalar(r.Connection, "BEGIN;");
        try
        {
            return SearchBounded(r, query, limit);
        }
        finally
        {
            Connections.Scalar(r.Connection, "COMMIT;");
        }
    });

    private static TaskPage SearchBounded(ReaderConnection r, TaskListParams query, int limit)
    {
        var scan = TaskListCommand(r, TaskListSql.Part.Scan, query);
        scan.Set("$budget", SearchScanBudget);
        scan.Set("$tag_key", query.TagKey);
        scan.Set("$tag_value", query.TagValue);
        scan.Set("$error", query.Error);
        scan.Set("$error_type", query.ErrorType);
        scan.Set("$limit", limit + 1);
        List<TaskRow> rows;
        using (var reader = scan.ExecuteReader()) rows = ReadAll(reader);
        var items = rows.Take(limit).Select(x => x.Record).ToList();
        if (rows.Count > limit) return new TaskPage(items, items[^1].Id);
        var end = TaskListCommand(r, TaskListSql.Part.ScanEnd, query);
        end.Set("$budget", SearchScanBudget);
        using var ended = end.ExecuteReader();
        ended.Read();
        var looked = ended.GetInt64(0);
        return new TaskPage(items, looked >= SearchScanBudget && !ended.IsDBNull(1) ? ended.GetString(1) : null);
    }

    public async ValueTask<IReadOnlyList<RetryResult>> TaskRetryMany(IReadOnlyList<string> ids, CancellationToken ct = default) =>
        ids.Count == 0 ? [] : await writer.Enqueue(ctx => SearchOps.TaskRetryMany(ctx, ids)).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<DeleteResult>> TaskDeleteMany(IReadOnlyList<string> ids, CancellationToken ct = default) =>
        ids.Count == 0 ? [] : await writer.Enqueue(ctx => SearchOps.TaskDeleteMany(ctx, ids)).ConfigureAwait(false);

    public async ValueTask BulkActionRecord(BulkActionRecord record, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => SearchOps.BulkActionRecord(ctx, record)).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<BulkActionRecord>> BulkActionList(int limit, CancellationToken ct = default)
    {
        var list = readers.Read(r =>
        {
            var cmd = r.Command("BulkActionList");
            cmd.Set("$limit", Math.Clamp(limit, 1, Store.BulkActionRecord.Kept));
            var items = new List<BulkActionRecord>();
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                items.Add(new BulkActionRecord(reader.GetString(0), Time(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3),
                    SearchOps.Json(reader.IsDBNull(4) ? null : reader.GetString(4)), reader.GetInt32(5), reader.GetInt64(6), reader.GetInt64(7)));
            return items;
        });
        return ValueTask.FromResult<IReadOnlyList<BulkActionRecord>>(list);
    }

    public ValueTask<DeadLetterGroups> DeadLetterGroups(string? queue, CancellationToken ct = default)
    {
        var groups = readers.Read(r =>
        {
            var cmd = r.Command("DeadLetterGroups");
            cmd.Set("$queue", queue);
            var list = new List<DeadLetterGroup>();
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                list.Add(new DeadLetterGroup(reader.GetString(0), reader.GetInt64(1),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(2) ? null : Time(reader.GetInt64(2))));
            return list;
        });
        return ValueTask.FromResult(new DeadLetterGroups(groups));
    }
}
