using Conveyor.Sqlite.Internal;
using Conveyor.Store;

namespace Conveyor.Sqlite.Ops;

/// <summary>
/// The per-minute outcome counts (Sql/HistoryList.sql): an operation tallies its outcomes per queue
/// while it runs, then writes one row per queue, inside its own savepoint, so the counts commit (or
/// are undone) with the transitions that caused them.
/// </summary>
internal sealed class HistoryTally
{
    private readonly Dictionary<string, (long Succeeded, long Failed)> byQueue = new(StringComparer.Ordinal);

    public void Succeeded(string queue, long n = 1)
    {
        var c = byQueue.GetValueOrDefault(queue);
        byQueue[queue] = (c.Succeeded + n, c.Failed);
    }

    public void Failed(string queue)
    {
        var c = byQueue.GetValueOrDefault(queue);
        byQueue[queue] = (c.Succeeded, c.Failed + 1);
    }

    public void Write(WriteContext ctx, DateTimeOffset now)
    {
        if (byQueue.Count == 0) return;
        var cmd = ctx.Command("HistoryList.Add");
        cmd.Set("$minute", HistoryMinutes.Of(now));
        foreach (var (queue, c) in byQueue)
        {
            cmd.Set("$queue", queue);
            cmd.Set("$succeeded", c.Succeeded);
            cmd.Set("$failed", c.Failed);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Drops minutes older than <see cref="HistoryListParams.Keep"/> (MaintenanceRun).</summary>
    public static void Expire(WriteContext ctx, DateTimeOffset now)
    {
        var cmd = ctx.Command("HistoryList.Expire");
        cmd.Set("$before", HistoryMinutes.Of(now - HistoryListParams.Keep));
        cmd.ExecuteNonQuery();
    }
}
