using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// MaintenanceResult.Reclaims: what the engine meters lease expiries from (issue 11).
public abstract partial class TaskStoreConformanceTests
{
    [Fact]
    public async Task MaintenanceRun_reports_reclaimed_leases_by_queue_and_type_and_where_each_went()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        // Two queues, two types; one task of each pair on its last attempt (max 1: reclaimed to dead).
        await Enqueue(store, NewTask(time, type: "a.retry", queue: "q1", maxAttempts: 3, backoff: BackoffPolicy.None));
        await Enqueue(store, NewTask(time, type: "a.retry", queue: "q1", maxAttempts: 3, backoff: BackoffPolicy.None));
        await Enqueue(store, NewTask(time, type: "b.dead", queue: "q1", maxAttempts: 1));
        await Enqueue(store, NewTask(time, type: "a.retry", queue: "q2", maxAttempts: 1));
        await Enqueue(store, NewTask(time, type: "c.done", queue: "q2"));
        var leased = await store.TaskLease(new TaskLeaseParams("w", ["q1", "q2"], 10, LeaseFor, TimeSpan.Zero));
        Assert.Equal(5, leased.Count);
        var done = Assert.Single(leased, l => l.Task.Type == "c.done");
        Assert.Equal(AckOutcome.Ok, Assert.Single(await store.TaskCompleteMany([new(done.Task.Id, done.LeaseToken, null)])).Outcome);

        Assert.Empty((await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaims); // nothing expired yet
        time.Advance(LeaseFor + TimeSpan.FromSeconds(1));
        var result = await store.MaintenanceRun(TimeSpan.FromDays(7));

        Assert.Equal(4, result.Reclaimed);
        var byKey = result.Reclaims.ToDictionary(r => (r.Queue, r.Type));
        Assert.Equal(3, byKey.Count);
        Assert.Equal(new MaintenanceReclaim("q1", "a.retry", Retried: 2, Dead: 0), byKey[("q1", "a.retry")]);
        Assert.Equal(new MaintenanceReclaim("q1", "b.dead", Retried: 0, Dead: 1), byKey[("q1", "b.dead")]);
        Assert.Equal(new MaintenanceReclaim("q2", "a.retry", Retried: 0, Dead: 1), byKey[("q2", "a.retry")]);
        Assert.Equal(result.Reclaimed, result.Reclaims.Sum(r => r.Retried + r.Dead));
        Assert.Empty((await store.MaintenanceRun(TimeSpan.FromDays(7))).Reclaims); // reclaimed once only
    }
}
