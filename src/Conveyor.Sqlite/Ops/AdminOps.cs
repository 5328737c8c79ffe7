using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>Cancel, dead-letter, queue and worker-registry writes, run by the writer.</summary>
internal static class AdminOps
{
    public static CancelResult TaskCancel(WriteContext ctx, string id)
    {
        var now = ctx.Now();
        var outcome = TryCancel(ctx, "TaskCancel.Pending", id, now) ? CancelOutcome.Cancelled
            : TryCancel(ctx, "TaskCancel.Running", id, now) ? CancelOutcome.CancelledWhileRunning
            : (CancelOutcome?)null;
        var task = WriterReads.TaskGet(ctx, id);
        if (task is null) return new CancelResult(CancelOutcome.NotFound, null);
        return new CancelResult(outcome ?? CancelOutcome.AlreadyTerminal, task);
    }

    private static bool TryCancel(WriteContext ctx, string query, string id, DateTimeOffset now)
    {
        var cmd = ctx.Command(query);
        cmd.Set("$id", id);
        cmd.Set("$now", Ticks(now));
        if (query.EndsWith("Running", StringComparison.Ordinal)) cmd.Set("$now_text", JsonTime(now));
        using var reader = cmd.ExecuteReader();
        if (!reader.Read()) return false;
        ctx.Event(id, reader.GetString(0), reader.GetString(1), TaskState.Cancelled, now);
        return true;
    }

    public static int DeadLetterRedrive(WriteContext ctx, DeadLetterRedriveParams p)
    {
        var now = ctx.Now();
        var cmd = ctx.Command("DeadLetterRedrive");
        cmd.Set("$id", p.TaskId);
        cmd.Set("$queue", p.Queue);
        cmd.Set("$limit", Math.Max(0, p.Limit));
        cmd.Set("$now", Ticks(now));
        cmd.Set("$args", p.Args is { } args ? args.GetRawText() : null);
        return ctx.MakePending(cmd, now, wake: true);
    }

    public static int DeadLetterPurge(WriteContext ctx, DeadLetterPurgeParams p)
    {
        var cmd = ctx.Command("DeadLetterPurge");
        cmd.Set("$id", p.TaskId);
        cmd.Set("$queue", p.Queue);
        var removed = 0;
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) removed++;
        return removed;
    }

    public static bool QueuePause(WriteContext ctx, string queue)
    {
        var cmd = ctx.Command("QueuePause");
        cmd.Set("$queue", queue);
        cmd.ExecuteNonQuery();
        return true;
    }

    public static bool QueueResume(WriteContext ctx, string queue)
    {
        var cmd = ctx.Command("QueueResume");
        cmd.Set("$queue", queue);
        cmd.ExecuteNonQuery();
        ctx.Wake(queue);
        return true;
    }

    public static bool WorkerRemove(WriteContext ctx, string workerId)
    {
        var cmd = ctx.Command("WorkerRemove");
        cmd.Set("$id", workerId);
        cmd.ExecuteNonQuery();
        return true;
    }
}
