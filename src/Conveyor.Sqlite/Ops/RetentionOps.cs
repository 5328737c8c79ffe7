using Conveyor.Model;
using Conveyor.Retention;
using Conveyor.Sqlite.Internal;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>
/// MaintenanceRun's retention step (Sql/MaintenanceRun.sql, Retention*): for each queue with terminal
/// tasks and each terminal state, delete the tasks finished before the state's age, then the oldest
/// beyond its count, along the (queue, state, finished_at) index, at most <c>limit</c> in all. The
/// queue counts follow through their triggers (migration 3); the history table is not touched.
/// Freed pages are handed back to the file system in bounded steps (<see cref="Vacuum"/>).
/// </summary>
internal static class RetentionOps
{
    /// <summary>Pages handed back per run at most (4 KiB each: 16 MiB).</summary>
    internal const int VacuumPagesPerRun = 4096;

    public static int Apply(WriteContext ctx, DateTimeOffset now, RetentionPolicy policy, int limit)
    {
        var queues = new List<(string Queue, long Succeeded, long Failed, long Cancelled, long Expired)>();
        using (var reader = ctx.Command("MaintenanceRun.RetentionQueues").ExecuteReader())
            while (reader.Read()) queues.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        var left = limit;
        foreach (var (queue, succeeded, failed, cancelled, expired) in queues)
        {
            foreach (var state in RetentionPolicy.States)
            {
                if (left <= 0) break;
                var kept = state switch { TaskState.Succeeded => succeeded, TaskState.Failed => failed, TaskState.Expired => expired, _ => cancelled };
                if (kept == 0) continue;
                var rule = policy.For(queue, state);
                var byAge = ctx.Command("MaintenanceRun.RetentionByAge");
                byAge.Set("$queue", queue);
                byAge.Set("$state", state.ToWire());
                byAge.Set("$before", Ticks(now - rule.MaxAge));
                byAge.Set("$limit", left);
                var gone = Count(byAge);
                left -= gone;
                kept -= gone;
                if (rule.MaxCount is { } max && kept > max && left > 0)
                {
                    var byCount = ctx.Command("MaintenanceRun.RetentionByCount");
                    byCount.Set("$queue", queue);
                    byCount.Set("$state", state.ToWire());
                    byCount.Set("$limit", Math.Min(kept - max, left));
                    left -= Count(byCount);
                }
            }
        }
        var deleted = limit - left;
        if (deleted > 0) Vacuum(ctx);
        return deleted;
    }

    private static int Count(Microsoft.Data.Sqlite.SqliteCommand cmd)
    {
        var n = 0;
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) n++;
        return n;
    }

    /// <summary>
    /// With auto_vacuum=INCREMENTAL (<see cref="Connections"/>), hands free pages back once more than a
    /// quarter of the file is free, at most <see cref="VacuumPagesPerRun"/> per run: the file shrinks after
    /// a backlog is deleted and keeps room to grow into again without asking the file system.
    /// </summary>
    private static void Vacuum(WriteContext ctx)
    {
        if (ctx.Options.IsInMemory) return;
        var free = Convert.ToInt64(Connections.Scalar(ctx.Connection, "PRAGMA freelist_count;"), System.Globalization.CultureInfo.InvariantCulture);
        var pages = Convert.ToInt64(Connections.Scalar(ctx.Connection, "PRAGMA page_count;"), System.Globalization.CultureInfo.InvariantCulture);
        if (free * 4 <= pages) return;
        var step = Math.Min(free - pages / 8, VacuumPagesPerRun);
        if (step > 0) Connections.Exec(ctx.Connection, $"PRAGMA incremental_vacuum({step});");
    }
}
