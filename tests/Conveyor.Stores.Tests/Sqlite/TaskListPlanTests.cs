using System.Text.RegularExpressions;
using Conveyor.Sqlite;
using Conveyor.Sqlite.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>
/// TaskList's statement per filter shape (state, queue, type, cursor: each given or not), on the
/// migrated schema without statistics: each reads the index its shape names, in id order (no sort of
/// the tasks), and never scans the table.
/// </summary>
public sealed class TaskListPlanTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-plan-");

    public void Dispose() => dir.Delete(recursive: true);

    public static TheoryData<string, int> Shapes()
    {
        var data = new TheoryData<string, int>();
        foreach (var part in Enum.GetValues<TaskListSql.Part>())
            for (var shape = 0; shape < 16; shape++) data.Add(part.ToString(), shape);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_TaskList_shape_reads_its_index_in_id_order(string part, int shape)
    {
        bool state = (shape & 1) != 0, queue = (shape & 2) != 0, type = (shape & 4) != 0, cursor = (shape & 8) != 0;
        var index = state ? queue ? "tasks_queue_state_id" : "tasks_state_id" : queue ? "tasks_queue_state_id" : type ? "tasks_type_id" : "sqlite_autoindex_tasks_1";
        var plan = await Plan(TaskListSql.Sql(Enum.Parse<TaskListSql.Part>(part), shape));

        var terms = new List<string>();
        if (queue) terms.Add("queue=?");
        if (state || queue) terms.Add("state=?");
        else if (type) terms.Add("type=?");
        if (cursor) terms.Add("id<?");
        var read = new Regex((terms.Count == 0 ? "^SCAN tasks USING (COVERING )?INDEX " : "^SEARCH tasks USING (COVERING )?INDEX ") + index
            + (terms.Count == 0 ? "$" : Regex.Escape($" ({string.Join(" AND ", terms)})")));
        var context = $"{part}#{shape}: {string.Join(" | ", plan)}";
        // A queue without a state reads one page per state (one per TaskState, waiting and expired included), every other shape one.
        Assert.True(plan.Count(p => read.IsMatch(p)) == (queue && !state ? Conveyor.Model.TaskStates.All.Count : 1), $"expected {read}: {context}");
        Assert.DoesNotContain(plan, p => p.StartsWith("SCAN tasks", StringComparison.Ordinal) && !read.IsMatch(p));
        // The rows come in id order from the index: a sort ever only follows a bounded page (a
        // subquery's, or the scan window's), never the read of the index itself.
        for (var i = 1; i < plan.Count; i++)
            if (plan[i].Contains("TEMP B-TREE", StringComparison.Ordinal)) Assert.False(read.IsMatch(plan[i - 1]), context);
    }

    private async Task<List<string>> Plan(string sql)
    {
        var path = Path.Combine(dir.FullName, "plan.db");
        await using (new SqliteTaskStore(new SqliteStoreOptions { Path = path }, new FakeTimeProvider())) { }
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in Regex.Matches(sql, @"\$\w+").Select(m => m.Value).Distinct())
            cmd.Parameters.AddWithValue(name, name is "$limit" or "$budget" ? 51 : "x");
        var plan = new List<string>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) plan.Add(reader.GetString(3));
        return plan;
    }
}
