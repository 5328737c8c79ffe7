using System.Text.RegularExpressions;
using Conveyor.Sqlite;
using Conveyor.Sqlite.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>
/// The plans SQLite picks for the hot and the dashboard statements, on the migrated schema. Without
/// statistics the planner chooses by heuristics alone, so an added index can silently take over a hot
/// path (the listing index tasks_state_id turned TaskCompleteMany into a walk of every running task).
/// </summary>
public sealed class QueryPlanTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-plan-");

    public void Dispose() => dir.Delete(recursive: true);

    [Theory]
    [InlineData("TaskCompleteMany.Complete", "USING INDEX sqlite_autoindex_tasks_1 (id=?)")]
    [InlineData("TaskLease.Pick", "INDEX tasks_pending (queue=?)")]
    [InlineData("TaskLease.UsageMany", "SEARCH u USING PRIMARY KEY (queue=? AND name=? AND key=?)")] // limits: each slot a key lookup, not a walk of the queue's usage rows
    [InlineData("TaskLease.PickLimitedKey", "INDEX tasks_pending (queue=?)")] // limits: the line in the index's order, with the usage read beside it
    [InlineData("TaskLease.PickLimitedKey", "SEARCH u USING PRIMARY KEY (queue=? AND name=? AND key=?) LEFT-JOIN")] // limits: each candidate's usage row a key lookup
    [InlineData("TaskLease.LeaseLimitedKey", "SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)")] // limits: each leased task by its rowid, as Lease
    [InlineData("TaskCompleteMany.GiveBack", "COVERING INDEX tasks_parked (queue=? AND limit_wait=?)")] // limits: the parked probe of the slot given back
    [InlineData("TaskCompleteMany.GiveBackMany", "SEARCH limit_usage USING PRIMARY KEY (queue=? AND name=? AND key=?)")] // limits: each slot a key lookup, not a walk of the queue's usage rows
    [InlineData("TaskCompleteMany.GiveBackMany", "COVERING INDEX tasks_parked (queue=? AND limit_wait=?)")]
    [InlineData("TaskLease.Promote", "USING INDEX tasks_scheduled (queue=? AND scheduled_for<?)")]
    [InlineData("MaintenanceRun.Promote", "USING INDEX tasks_scheduled")]
    [InlineData("MaintenanceRun.Expired", "USING INDEX tasks_running (lease_deadline<?)")]
    [InlineData("MaintenanceRun.RetentionByAge", "COVERING INDEX tasks_retention (queue=? AND state=? AND finished_at<?)")]
    [InlineData("MaintenanceRun.RetentionByCount", "COVERING INDEX tasks_retention (queue=? AND state=?)")]
    [InlineData("QueueList.OldestPending", "INDEX tasks_pending_oldest (queue=?)")]
    [InlineData("HistoryList.Queue", "USING PRIMARY KEY (minute>? AND minute<?)")]
    [InlineData("HistoryList.All", "USING PRIMARY KEY (minute>? AND minute<?)")]
    public async Task A_statement_uses_its_index(string query, string expected)
    {
        var path = Path.Combine(dir.FullName, "plan.db");
        await using (new SqliteTaskStore(new SqliteStoreOptions { Path = path }, new FakeTimeProvider())) { }
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        c.CreateFunction<long?, string?>("conveyor_time", static t => t?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var cmd = c.CreateCommand();
        var sql = SqlText.Get(query);
        cmd.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in Regex.Matches(sql, @"\$\w+").Select(m => m.Value).Distinct())
            cmd.Parameters.AddWithValue(name, name switch { "$queue" => "q", "$state" => "succeeded", _ => DBNull.Value });
        var plan = new List<string>();
        using (var reader = cmd.ExecuteReader())
            while (reader.Read()) plan.Add(reader.GetString(3));
        Assert.True(plan.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{query}: {string.Join(" | ", plan)}");
        // A scan of the tasks is only ever of the statement's own (partial) index.
        Assert.DoesNotContain(plan, p => p.StartsWith("SCAN tasks", StringComparison.Ordinal) && !p.Contains(expected, StringComparison.Ordinal));
    }
}
