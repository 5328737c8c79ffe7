using Conveyor.Model;
using Conveyor.Sqlite.Internal;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite.Ops;

/// <summary>One non-blocking lease pass; when empty, also the earliest due time to wake up at.</summary>
internal sealed record LeasePass(IReadOnlyList<LeasedTask> Leased, DateTimeOffset? NextDue);

/// <summary>TaskLease, run by the writer (Sql/TaskLease.sql). The blocking wait lives in the store.</summary>
internal static class LeaseOps
{
    public static LeasePass TaskLease(WriteContext ctx, TaskLeaseParams p)
    {
        var now = ctx.Now();
        var deadline = now + p.LeaseDuration;
        var leased = new List<LeasedTask>(Math.Min(p.Max, 256));
        var queues = p.Queues.Distinct(StringComparer.Ordinal).ToList();
        foreach (var queue in queues)
        {
            if (leased.Count >= p.Max) break;
            // The paused check is inside the Pick statement (one statement less per lease on the hot
            // path); promoting due tasks of a paused queue is harmless: they stay pending there.
            ExpiryOps.AtLease(ctx, queue, now); // expiry: before anything is promoted or picked
            Promote(ctx, queue, now);
            var want = p.Max - leased.Count;
            var rowids = new List<long>(want);
            // limits: a queue with limits picks its line through them (Ops/LimitOps.cs).
            (string Path, string Name)? heldInSql = null;
            var limited = LimitOps.Load(ctx, queue) is { } limits ? LimitOps.Pick(ctx, queue, limits, want, now, out heldInSql) : null;
            if (limited is not null) rowids.AddRange(limited.Select(x => x.RowId));
            else
            {
                var pick = ctx.Command("TaskLease.Pick");
                pick.Set("$queue", queue);
                using var reader = pick.ExecuteReader();
                while (rowids.Count < want && reader.Read()) rowids.Add(reader.GetInt64(0));
            }
            if (rowids.Count == 0) continue;
            var ids = "[" + string.Join(',', rowids) + "]";
            // limits: a queue with limits leases and writes the slots held in one statement (LimitOps.Lease).
            var cmd = limited is not null ? LimitOps.Lease(ctx, limited, heldInSql, ids) : ctx.Command("TaskLease.Lease");
            if (limited is null) cmd.Set("$rowids", ids);
            cmd.Set("$worker", p.WorkerId);
            cmd.Set("$now", Ticks(now));
            cmd.Set("$deadline", Ticks(deadline));
            cmd.ExecuteNonQuery();
            var read = ctx.Command("TaskLease.Leased");
            read.Set("$rowids", ids);
            List<TaskRow> rows;
            using (var reader = read.ExecuteReader()) rows = ReadAll(reader);
            rows.Sort(static (a, b) => a.Record.Priority != b.Record.Priority ? b.Record.Priority.CompareTo(a.Record.Priority) : a.Seq.CompareTo(b.Seq));
            foreach (var row in rows)
            {
                leased.Add(new LeasedTask(row.Record, row.LeaseToken!, deadline));
                ctx.Event(row.Record, TaskState.Running, now);
            }
        }
        if (leased.Count > 0) return new LeasePass(leased, null);

        // Nothing leased: the waiter sleeps until new work or the earliest due time of an open queue
        // (a paused queue's due time must not wake it: it would find nothing and spin).
        DateTimeOffset? nextDue = null;
        foreach (var queue in queues)
        {
            if (IsPaused(ctx, queue)) continue;
            var cmd = ctx.Command("TaskLease.NextDue");
            cmd.Set("$queue", queue);
            if (cmd.ExecuteScalar() is long ticks && (nextDue is null || Time(ticks) < nextDue)) nextDue = Time(ticks);
            if (LimitOps.NextReopen(ctx, queue) is { } reopen && (nextDue is null || reopen < nextDue)) nextDue = reopen; // limits: a rate window reopens
        }
        return new LeasePass(leased, nextDue);
    }

    private static bool IsPaused(WriteContext ctx, string queue)
    {
        var cmd = ctx.Command("TaskLease.Paused");
        cmd.Set("$queue", queue);
        return cmd.ExecuteScalar() is not null;
    }

    private static void Promote(WriteContext ctx, string queue, DateTimeOffset now)
    {
        var cmd = ctx.Command("TaskLease.Promote");
        cmd.Set("$queue", queue);
        cmd.Set("$now", Ticks(now));
        // No wake-up: the caller is the leaser, about to lease them itself.
        ctx.MakePending(cmd, now, wake: false);
    }
}
