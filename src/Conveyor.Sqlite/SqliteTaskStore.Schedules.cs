using Conveyor.Schedules;
using Conveyor.Sqlite.Internal;
using Conveyor.Sqlite.Ops;
using Conveyor.Store;
using static Conveyor.Sqlite.Internal.TaskRows;

namespace Conveyor.Sqlite;

// Recurring tasks (Sql/Schedule*.sql, Ops/ScheduleOps.cs, migration 13): reads on reader connections,
// writes through the writer; ScheduleClaim's compare-and-set and enqueue share one transaction.
public sealed partial class SqliteTaskStore
{
    public async ValueTask<bool> ScheduleUpsert(ScheduleUpsertParams request, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => ScheduleOps.ScheduleUpsert(ctx, request)).ConfigureAwait(false);

    public ValueTask<Schedule?> ScheduleGet(string name, CancellationToken ct = default) =>
        ValueTask.FromResult(readers.Read(r =>
        {
            var cmd = r.Command("ScheduleGet");
            cmd.Set("$name", name);
            return ScheduleOps.Read(cmd).FirstOrDefault();
        }));

    public ValueTask<IReadOnlyList<Schedule>> ScheduleList(CancellationToken ct = default) =>
        ValueTask.FromResult<IReadOnlyList<Schedule>>(readers.Read(r => ScheduleOps.Read(r.Command("ScheduleList"))));

    public async ValueTask<bool> ScheduleDelete(string name, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => ScheduleOps.ScheduleDelete(ctx, name)).ConfigureAwait(false);

    public async ValueTask<bool> SchedulePause(SchedulePauseParams request, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => ScheduleOps.SchedulePause(ctx, request)).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<Schedule>> ScheduleDue(int max, CancellationToken ct = default) =>
        ValueTask.FromResult<IReadOnlyList<Schedule>>(readers.Read(r =>
        {
            var cmd = r.Command("ScheduleDue");
            cmd.Set("$now", Ticks(time.GetUtcNow()));
            cmd.Set("$limit", max);
            return ScheduleOps.Read(cmd);
        }));

    public async ValueTask<ScheduleClaimResult> ScheduleClaim(ScheduleClaimParams request, CancellationToken ct = default) =>
        await writer.Enqueue(ctx => ScheduleOps.ScheduleClaim(ctx, request)).ConfigureAwait(false);
}
