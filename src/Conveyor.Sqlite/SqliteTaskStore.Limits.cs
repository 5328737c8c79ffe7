using Conveyor.Limits;
using Conveyor.Sqlite.Internal;
using Conveyor.Sqlite.Ops;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite;

// QueueLimitSet / QueueLimitDelete (Sql/QueueLimitSet.sql, in the writer) and QueueLimitList
// (Sql/QueueLimitList.sql, on a reader). Enforcement is in TaskLease (Ops/LimitOps.cs).
public sealed partial class SqliteTaskStore
{
    public async ValueTask QueueLimitSet(string queue, QueueLimit limit, CancellationToken ct = default)
    {
        limit.Validated();
        var outcome = await writer.Enqueue(ctx => LimitOps.QueueLimitSet(ctx, queue, limit)).ConfigureAwait(false);
        if (outcome < 0) throw new Engine.ConveyorValidationException("name", $"a queue has at most {QueueLimit.MaxLimitsPerQueue} limits; remove one first");
    }

    public async ValueTask<bool> QueueLimitDelete(string queue, string name, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => LimitOps.QueueLimitDelete(ctx, queue, name)).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<QueueLimitInfo>> QueueLimitList(string queue, CancellationToken ct = default)
    {
        var nowTicks = Ticks(time.GetUtcNow());
        return ValueTask.FromResult(readers.Read(r =>
        {
            var limits = new List<QueueLimit>();
            var cmd = r.Command("QueueLimitList.Limits");
            cmd.Set("$queue", queue);
            using (var reader = cmd.ExecuteReader())
                while (reader.Read()) limits.Add(LimitOps.Parse(reader.GetString(0)));
            if (limits.Count == 0) return (IReadOnlyList<QueueLimitInfo>)[];

            var waiting = new Dictionary<string, long>(StringComparer.Ordinal);
            var w = r.Command("QueueLimitList.Waiting");
            w.Set("$queue", queue);
            using (var reader = w.ExecuteReader())
                while (reader.Read()) waiting[reader.GetString(0)] = reader.GetInt64(1);

            var infos = new List<QueueLimitInfo>(limits.Count);
            foreach (var l in limits)
            {
                var usage = new List<QueueLimitUsage>();
                var u = r.Command("QueueLimitList.Usage");
                u.Set("$queue", queue);
                u.Set("$name", l.Name);
                u.Set("$max", QueueLimitUsage.MaxKeys);
                using (var reader = u.ExecuteReader())
                    while (reader.Read())
                    {
                        var key = reader.GetString(0);
                        var open = l.Rate is not null && nowTicks < reader.GetInt64(2) + l.IntervalMs * TimeSpan.TicksPerMillisecond;
                        usage.Add(new QueueLimitUsage(key, reader.GetInt64(1), open ? reader.GetInt64(3) : 0,
                            waiting.GetValueOrDefault(LimitOps.Slot(l.Name, key))));
                    }
                if (l.Key is null && usage.Count == 0) usage.Add(new QueueLimitUsage("", 0, 0, 0));
                infos.Add(new QueueLimitInfo(l, usage));
            }
            return infos;
        }));
    }
}
