using Conveyor.Sqlite.Internal;
using Conveyor.Store;

namespace Conveyor.Sqlite;

// HistoryList: the per-minute counts that TaskCompleteMany, TaskFailMany and MaintenanceRun keep (Sql/HistoryList.sql).
public sealed partial class SqliteTaskStore
{
    public ValueTask<IReadOnlyList<HistoryBucket>> HistoryList(HistoryListParams request, CancellationToken ct = default)
    {
        long from = HistoryMinutes.Of(request.From), to = HistoryMinutes.Of(request.To);
        var found = readers.Read(r =>
        {
            var cmd = r.Command(request.Queue is null ? "HistoryList.All" : "HistoryList.Queue");
            cmd.Set("$from", from);
            cmd.Set("$to", to);
            if (request.Queue is { } q) cmd.Set("$queue", q);
            var rows = new Dictionary<long, (long, long)>();
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) rows[reader.GetInt64(0)] = (reader.GetInt64(1), reader.GetInt64(2));
            return rows;
        });
        return ValueTask.FromResult(HistoryMinutes.Fill(from, to, found));
    }
}
