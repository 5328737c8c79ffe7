using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>MaintenanceRun, run by the writer (Sql/MaintenanceRun.sql).</summary>
internal static class MaintenanceOps
{
    public static MaintenanceResult MaintenanceRun(WriteContext ctx, MaintenanceRunParams request)
    {
        var now = ctx.Now();
        var reclaims = new MaintenanceReclaims();
        var expiries = ExpiryOps.ByMaintenance(ctx, now); // expiry: before promotion, so an expired due task is not made pending
        return new MaintenanceResult(Promote(ctx, now), Reclaim(ctx, now, reclaims), Expire(ctx, now, request)) { Reclaims = reclaims.ToList(), Expiries = expiries };
    }

    private static int Promote(WriteContext ctx, DateTimeOffset now)
    {
        var cmd = ctx.Command("MaintenanceRun.Promote");
        cmd.Set("$now", Ticks(now));
        return ctx.MakePending(cmd, now, wake: true);
    }

    /// <summary>
    /// An expired lease counts as a FAILED attempt (error type <c>lease_expired</c>): retried with backoff
    /// while attempts are left, dead when none are. Why: a task that kills its worker (a crash, an OOM,
    /// a hang past the deadline) would otherwise be handed out again and again forever; charging the
    /// attempt makes it end in the dead-letter queue after max_attempts, where a human can look at it.
    /// </summary>
    private static int Reclaim(WriteContext ctx, DateTimeOffset now, MaintenanceReclaims reclaims)
    {
        var cmd = ctx.Command("MaintenanceRun.Expired");
        cmd.Set("$now", Ticks(now));
        var ids = new List<string>();
        using (var reader = cmd.ExecuteReader())
            while (reader.Read()) ids.Add(reader.GetString(0));
        var reclaimed = 0;
        var tally = new HistoryTally();
        foreach (var id in ids)
        {
            if (FailRow.Read(ctx, id) is not { State: TaskState.Running } row) continue;
            var (state, _) = AckOps.ApplyFailure(ctx, row, TaskError.LeaseExpired(row.WorkerId), retry: true, retryDelay: null, "lease_expired", now);
            reclaims.Add(row.Queue, row.Type, dead: state == TaskState.Failed);
            tally.Failed(row.Queue);
            reclaimed++;
        }
        tally.Write(ctx, now);
        return reclaimed;
    }

    private static int Expire(WriteContext ctx, DateTimeOffset now, MaintenanceRunParams request)
    {
        var expired = RetentionOps.Apply(ctx, now, request.Retention, request.RetentionLimit);
        var keys = ctx.Command("MaintenanceRun.KeysExpire");
        keys.Set("$before", Ticks(now - ctx.Options.IdempotencyWindow));
        keys.ExecuteNonQuery();
        HistoryTally.Expire(ctx, now);
        return expired;
    }
}
