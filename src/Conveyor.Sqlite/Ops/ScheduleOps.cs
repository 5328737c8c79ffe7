using System.Text.Json;
using Conveyor.Json;
using Conveyor.Schedules;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using Microsoft.Data.Sqlite;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>The schedule operations (Sql/Schedule*.sql); writes run by the writer, in its transaction.</summary>
internal static class ScheduleOps
{
    public static bool ScheduleUpsert(WriteContext ctx, ScheduleUpsertParams p)
    {
        var exists = ctx.Command("ScheduleUpsert.Exists");
        exists.Set("$name", p.Definition.Name);
        var created = exists.ExecuteScalar() is null;
        var put = ctx.Command("ScheduleUpsert.Put");
        put.Set("$name", p.Definition.Name);
        put.Set("$definition", JsonSerializer.Serialize(p.Definition, ConveyorJson.Options));
        put.Set("$paused", p.Paused ? 1 : 0);
        put.Set("$next_run_at", p.NextRunAt is { } n ? Ticks(n) : null);
        put.Set("$now", Ticks(ctx.Now()));
        put.ExecuteNonQuery();
        return created;
    }

    public static bool SchedulePause(WriteContext ctx, SchedulePauseParams p)
    {
        var cmd = ctx.Command("SchedulePause");
        cmd.Set("$name", p.Name);
        cmd.Set("$paused", p.Paused ? 1 : 0);
        cmd.Set("$next_run_at", p.NextRunAt is { } n ? Ticks(n) : null);
        cmd.Set("$now", Ticks(ctx.Now()));
        return cmd.ExecuteNonQuery() == 1;
    }

    public static bool ScheduleDelete(WriteContext ctx, string name)
    {
        var cmd = ctx.Command("ScheduleDelete");
        cmd.Set("$name", name);
        return cmd.ExecuteNonQuery() == 1;
    }

    /// <summary>
    /// The compare-and-set and the enqueue, in the writer's one transaction: the tasks are enqueued only
    /// when this call moved the next run, so a tick claimed by another process enqueues nothing here.
    /// </summary>
    public static ScheduleClaimResult ScheduleClaim(WriteContext ctx, ScheduleClaimParams p)
    {
        SqliteCommand cmd;
        if (p.RunNow)
        {
            cmd = ctx.Command("ScheduleClaim.RunNow");
            cmd.Set("$last_run_at", Ticks(p.LastRunAt ?? ctx.Now()));
        }
        else
        {
            cmd = ctx.Command("ScheduleClaim.Claim");
            cmd.Set("$expected", p.Expected is { } e ? Ticks(e) : null);
            cmd.Set("$next_run_at", p.NextRunAt is { } n ? Ticks(n) : null);
            cmd.Set("$last_run_at", p.LastRunAt is { } l ? Ticks(l) : null);
        }
        cmd.Set("$name", p.Name);
        cmd.Set("$last_task_id", p.Tasks.Count > 0 ? p.Tasks[^1].Id : null);
        if (cmd.ExecuteNonQuery() != 1) return new ScheduleClaimResult(false, []);
        return new ScheduleClaimResult(true, p.Tasks.Count == 0 ? [] : EnqueueOps.TaskEnqueueMany(ctx, p.Tasks));
    }

    /// <summary>Reads rows of the ScheduleList columns.</summary>
    public static List<Schedule> Read(SqliteCommand cmd)
    {
        var list = new List<Schedule>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new Schedule
            {
                Definition = JsonSerializer.Deserialize<ScheduleDefinition>(r.GetString(0), ConveyorJson.Options)!,
                Paused = r.GetInt64(1) == 1,
                NextRunAt = r.IsDBNull(2) ? null : Time(r.GetInt64(2)),
                LastRunAt = r.IsDBNull(3) ? null : Time(r.GetInt64(3)),
                LastTaskId = r.IsDBNull(4) ? null : r.GetString(4),
                CreatedAt = Time(r.GetInt64(5)),
                UpdatedAt = Time(r.GetInt64(6)),
            });
        }
        return list;
    }
}
