using System.Collections.Concurrent;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// TaskList's statements, one per filter shape (which of state, queue, type and cursor are given),
/// built from the fragments of <c>Sql/TaskList.sql</c> so that a statement holds only the filters it
/// was given and names the index that serves them:
/// state (with or without type): tasks_state_id; queue and state: tasks_queue_state_id; queue alone:
/// tasks_queue_state_id once per state, merged; type alone: tasks_type_id; nothing: the id index.
/// </summary>
internal static class TaskListSql
{
    /// <summary>The parts of Sql/TaskList.sql that take a shape: Browse, Scan, ScanEnd.</summary>
    public enum Part { Browse, Scan, ScanEnd }

    private static readonly string[] States = [.. Enum.GetValues<TaskState>().Select(s => s.ToWire())];
    private static readonly ConcurrentDictionary<(Part, int), string> Built = new();

    /// <summary>The shape of a query: one bit per filter given.</summary>
    public static int Shape(TaskListParams q) =>
        (q.State is null ? 0 : 1) | (q.Queue is null ? 0 : 2) | (q.Type is null ? 0 : 4) | (q.Cursor is null ? 0 : 8);

    /// <summary>The command name a reader connection caches the statement under.</summary>
    public static string Name(Part part, int shape) => $"TaskList.{part}#{shape}";

    public static string Sql(Part part, int shape) => Built.GetOrAdd((part, shape), static k => Build(k.Item1, k.Item2));

    /// <summary>Binds the filters of the shape (and, for a queue without a state, one state per branch).</summary>
    public static void Bind(SqliteCommand cmd, TaskListParams q)
    {
        if (q.State is { } s) cmd.Set("$state", s.ToWire());
        else if (q.Queue is not null)
            for (var i = 0; i < States.Length; i++) cmd.Set("$s" + i, States[i]);
        if (q.Queue is not null) cmd.Set("$queue", q.Queue);
        if (q.Type is not null) cmd.Set("$type", q.Type);
        if (q.Cursor is not null) cmd.Set("$cursor", q.Cursor);
    }

    private static string Build(Part part, int shape)
    {
        bool state = (shape & 1) != 0, queue = (shape & 2) != 0, type = (shape & 4) != 0, cursor = (shape & 8) != 0;
        var (columns, limit) = part == Part.Browse ? ("*", "$limit") : ("rowid AS r, id", "$budget");
        string Rows(string index, params string[] terms)
        {
            var where = terms.Concat(cursor ? ["Cursor"] : []).Select(Fragment);
            return Fragment("Rows").Replace("/*columns*/", columns).Replace("/*index*/", Fragment(index))
                .Replace("/*where*/", string.Join(" AND ", where)).Replace("/*limit*/", limit);
        }
        string rows;
        if (state) rows = queue ? Rows("ByQueueState", ["Queue", "State", .. type ? ["Type"] : Array.Empty<string>()]) : Rows("ByState", ["State", .. type ? ["Type"] : Array.Empty<string>()]);
        else if (queue)
        {
            var one = Rows("ByQueueState", ["Queue", "State", .. type ? ["Type"] : Array.Empty<string>()]);
            var branches = States.Select((_, i) => "SELECT * FROM (" + one.Replace("$state", "$s" + i) + ")");
            rows = Fragment("EachState").Replace("/*branches*/", string.Join(" UNION ALL ", branches)).Replace("/*limit*/", limit);
        }
        else if (type) rows = Rows("ByType", "Type");
        else rows = cursor ? Rows("ById") : Fragment("Rows").Replace("/*columns*/", columns).Replace("/*index*/", Fragment("ById"))
            .Replace("WHERE /*where*/ ", "").Replace("/*limit*/", limit);
        return SqlText.Get("TaskList." + part).Replace("/*rows*/", rows);
    }

    /// <summary>A fragment of Sql/TaskList.sql on one line, without its comments.</summary>
    private static string Fragment(string name) =>
        string.Join(" ", SqlText.Get("TaskList." + name).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal)));
}
