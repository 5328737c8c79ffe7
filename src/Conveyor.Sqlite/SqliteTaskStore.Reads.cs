using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using Microsoft.Data.Sqlite;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite;

// Reads: on reader connections, never on the writer's (WAL lets them run beside the writer).
public sealed partial class SqliteTaskStore
{
    public ValueTask<TaskRecord?> TaskGet(string id, CancellationToken ct = default) => ValueTask.FromResult(Get(id));

    private TaskRecord? Get(string id) => readers.Read(r =>
    {
        var cmd = r.Command("TaskGet");
        cmd.Set("$id", id);
        using var reader = cmd.ExecuteReader();
        var rows = ReadAll(reader);
        return rows.Count == 0 ? null : rows[0].Record;
    });

    public ValueTask<TaskPage> TaskList(TaskListParams query, CancellationToken ct = default)
    {
        var limit = Math.Clamp(query.Limit, 1, TaskListParams.MaxLimit);
        if (query.IdempotencyKey is null && query.IsSearch) return ValueTask.FromResult(SearchBounded(query, limit));
        var rows = readers.Read(r =>
        {
            SqliteCommand cmd;
            if (query.IdempotencyKey is null)
            {
                cmd = TaskListCommand(r, TaskListSql.Part.Browse, query);
            }
            else
            {
                cmd = r.Command("TaskList.ByKey");
                cmd.Set("$state", query.State is { } s ? State(s) : null);
                cmd.Set("$queue", query.Queue);
                cmd.Set("$type", query.Type);
                cmd.Set("$cursor", query.Cursor);
                SetSearch(cmd, query);
            }
            cmd.Set("$limit", limit + 1);
            using var reader = cmd.ExecuteReader();
            return ReadAll(reader);
        });
        var more = rows.Count > limit;
        var items = rows.Take(limit).Select(x => x.Record).ToList();
        return ValueTask.FromResult(new TaskPage(items, more ? items[^1].Id : null));
    }

    /// <summary>TaskList's statement for the query's filter shape (built once per shape and connection), its filters bound.</summary>
    private static SqliteCommand TaskListCommand(ReaderConnection r, TaskListSql.Part part, TaskListParams query)
    {
        var shape = TaskListSql.Shape(query);
        var cmd = r.Command(TaskListSql.Name(part, shape), _ => TaskListSql.Sql(part, shape));
        TaskListSql.Bind(cmd, query);
        return cmd;
    }

    public async ValueTask<TaskRecord?> TaskWait(string id, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            // Register before reading, so a transition between the read and the wait is never missed.
            var finished = signals.TaskFinished(id);
            try
            {
                var task = Get(id);
                var now = time.GetUtcNow();
                if (task is null || task.State.IsTerminal() || now >= deadline) return task;
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, shutdown.Token);
                var timer = Task.Delay(deadline - now, time, stop.Token);
                await Task.WhenAny(finished, timer).ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                ObjectDisposedException.ThrowIf(shutdown.IsCancellationRequested, this);
            }
            finally
            {
                signals.ReleaseTask(id, finished);
            }
        }
    }

    /// <summary>O(queues): the counts kept by migration 3's triggers, and one index step per queue for the oldest pending task.</summary>
    public ValueTask<IReadOnlyList<QueueInfo>> QueueList(CancellationToken ct = default)
    {
        var list = readers.Read(r =>
        {
            var counts = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
            using (var reader = r.Command("QueueList.Counts").ExecuteReader())
            {
                while (reader.Read())
                {
                    var c = new long[7]; // expiry: the 7th is expired
                    for (var i = 0; i < c.Length; i++) c[i] = reader.GetInt64(i + 1);
                    if (c.Any(n => n != 0)) counts[reader.GetString(0)] = c;
                }
            }
            var paused = new HashSet<string>(StringComparer.Ordinal);
            using (var reader = r.Command("QueueList.Paused").ExecuteReader())
                while (reader.Read()) { paused.Add(reader.GetString(0)); counts.TryAdd(reader.GetString(0), new long[7]); }
            var oldest = r.Command("QueueList.OldestPending");
            return counts.Select(kv =>
            {
                DateTimeOffset? oldestAt = null;
                if (kv.Value[0] > 0)
                {
                    oldest.Set("$queue", kv.Key);
                    if (oldest.ExecuteScalar() is long ticks) oldestAt = Time(ticks);
                }
                return new QueueInfo(kv.Key, paused.Contains(kv.Key), kv.Value[0], kv.Value[1], kv.Value[2], kv.Value[3], kv.Value[4], kv.Value[5], oldestAt) { Expired = kv.Value[6] };
            }).ToList();
        });
        return ValueTask.FromResult<IReadOnlyList<QueueInfo>>(list);
    }

    public ValueTask<bool> Ping(CancellationToken ct = default)
    {
        try
        {
            return ValueTask.FromResult(readers.Read(r => r.Command("Ping").ExecuteScalar()) is long one && one == 1);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
        {
            return ValueTask.FromResult(false);
        }
    }
}
