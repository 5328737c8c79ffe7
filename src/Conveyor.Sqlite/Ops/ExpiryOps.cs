using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>
/// Expiry (issue 14 item 4), run by the writer: a pending or scheduled task past its expires_at ends
/// <see cref="TaskState.Expired"/> with its reason (Sql/TaskExpire.sql). Checked inside every lease
/// transaction before anything is picked (so a lease never hands one out) and by MaintenanceRun for
/// queues nobody leases. A retry waiting past the expiry is a scheduled task too: it ends expired.
/// </summary>
internal static class ExpiryOps
{
    /// <summary>TaskLease's check for one queue: ends the queue's expired tasks; how many.</summary>
    public static int AtLease(WriteContext ctx, string queue, DateTimeOffset now)
    {
        var find = ctx.Command("TaskLease.Expire");
        find.Set("$queue", queue);
        find.Set("$now", Ticks(now));
        List<(long RowId, string Id, string Type, long ExpiresAt)>? due = null;
        using (var reader = find.ExecuteReader())
            while (reader.Read()) (due ??= []).Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        if (due is null) return 0;
        foreach (var (rowid, id, type, expiresAt) in due) End(ctx, rowid, id, queue, type, expiresAt, now);
        return due.Count;
    }

    /// <summary>MaintenanceRun's step: ends every queue's expired tasks, tallied by queue and type for the engine's counter.</summary>
    public static IReadOnlyList<MaintenanceExpiry> ByMaintenance(WriteContext ctx, DateTimeOffset now)
    {
        var find = ctx.Command("MaintenanceRun.ExpireDue");
        find.Set("$now", Ticks(now));
        var due = new List<(long RowId, string Id, string Queue, string Type, long ExpiresAt)>();
        using (var reader = find.ExecuteReader())
            while (reader.Read()) due.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
        if (due.Count == 0) return [];
        var tally = new Dictionary<(string, string), int>();
        foreach (var (rowid, id, queue, type, expiresAt) in due)
        {
            End(ctx, rowid, id, queue, type, expiresAt, now);
            tally[(queue, type)] = tally.GetValueOrDefault((queue, type)) + 1;
        }
        return [.. tally.Select(kv => new MaintenanceExpiry(kv.Key.Item1, kv.Key.Item2, kv.Value))];
    }

    private static void End(WriteContext ctx, long rowid, string id, string queue, string type, long expiresAt, DateTimeOffset now)
    {
        var cmd = ctx.Command("TaskExpire.End");
        cmd.Set("$rowid", rowid);
        cmd.Set("$now", Ticks(now));
        cmd.Set("$error", ToJson(TaskError.NotStartedInTime(Time(expiresAt))));
        if (cmd.ExecuteNonQuery() > 0) ctx.Event(id, queue, type, TaskState.Expired, now);
    }
}
