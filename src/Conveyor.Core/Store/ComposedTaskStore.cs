using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Retention;
using Conveyor.Schedules;
using Conveyor.Workflows;

namespace Conveyor.Store;

/// <summary>
/// The storage seam put together from parts kept in different systems: a delivery (RabbitMQ) with
/// the records store and worker registry it pairs with (Redis). Each operation goes to the part that
/// owns it; record operations that make work ready (redrive, retry now, maintenance) are followed by
/// the delivery's <see cref="ITaskDelivery.OutboxSweep"/>, so the work reaches the delivery at once.
/// </summary>
public sealed class ComposedTaskStore(ITaskDelivery delivery, ITaskRecords records, IWorkerRegistry workers) : ITaskStore
{
    /// <summary>One store when the three parts are one object (SQLite, Redis), else a composition.</summary>
    public static ITaskStore Of(ITaskDelivery delivery, ITaskRecords records, IWorkerRegistry workers) =>
        delivery is ITaskStore s && ReferenceEquals(s, records) && ReferenceEquals(s, workers) ? s : new ComposedTaskStore(delivery, records, workers);

    public ITaskDelivery Delivery { get; } = delivery;
    public ITaskRecords Records { get; } = records;
    public IWorkerRegistry Workers { get; } = workers;

    public string Name => Delivery.Name == Records.Name ? Delivery.Name : $"{Delivery.Name}+{Records.Name}";

    public async ValueTask<bool> Ping(CancellationToken ct = default) =>
        await Delivery.Ping(ct).ConfigureAwait(false) && await Records.Ping(ct).ConfigureAwait(false)
        && (ReferenceEquals(Workers, Records) || await Workers.Ping(ct).ConfigureAwait(false));

    /// <summary>Ready when every part is; otherwise the first part's reason (delivery first).</summary>
    public async ValueTask<StoreReadiness> StoreReadinessCheck(CancellationToken ct = default)
    {
        var d = await Delivery.StoreReadinessCheck(ct).ConfigureAwait(false);
        if (!d.IsReady) return d;
        var r = await Records.StoreReadinessCheck(ct).ConfigureAwait(false);
        if (!r.IsReady || ReferenceEquals(Workers, Records)) return r;
        return await Workers.StoreReadinessCheck(ct).ConfigureAwait(false);
    }

    // Delivery
    public ValueTask<IReadOnlyList<EnqueueResult>> TaskEnqueueMany(IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default) => Delivery.TaskEnqueueMany(tasks, ct);
    public ValueTask<IReadOnlyList<LeasedTask>> TaskLease(TaskLeaseParams request, CancellationToken ct = default) => Delivery.TaskLease(request, ct);
    public ValueTask<IReadOnlyList<AckResult>> TaskCompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default) => Delivery.TaskCompleteMany(items, ct);
    public ValueTask<IReadOnlyList<AckResult>> TaskFailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default) => Delivery.TaskFailMany(items, ct);
    public ValueTask<IReadOnlyList<LeaseExtendResult>> LeaseExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default) => Delivery.LeaseExtendMany(items, ct);
    public ValueTask<IReadOnlyList<AckResult>> TaskReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default) => Delivery.TaskReleaseMany(items, ct);
    public ValueTask QueuePause(string queue, CancellationToken ct = default) => Delivery.QueuePause(queue, ct);
    public ValueTask QueueResume(string queue, CancellationToken ct = default) => Delivery.QueueResume(queue, ct);
    public ValueTask<int> OutboxSweep(CancellationToken ct = default) => Delivery.OutboxSweep(ct);
    public bool SupportsExpiry => Delivery.SupportsExpiry;

    public ValueTask QueueLimitSet(string queue, QueueLimit limit, CancellationToken ct = default) => Delivery.QueueLimitSet(queue, limit, ct);
    public ValueTask<bool> QueueLimitDelete(string queue, string name, CancellationToken ct = default) => Delivery.QueueLimitDelete(queue, name, ct);
    public ValueTask<IReadOnlyList<QueueLimitInfo>> QueueLimitList(string queue, CancellationToken ct = default) => Delivery.QueueLimitList(queue, ct);

    // Records
    public ValueTask<TaskRecord?> TaskGet(string id, CancellationToken ct = default) => Records.TaskGet(id, ct);
    public ValueTask<TaskPage> TaskList(TaskListParams query, CancellationToken ct = default) => Records.TaskList(query, ct);
    public ValueTask<TaskRecord?> TaskWait(string id, TimeSpan timeout, CancellationToken ct = default) => Records.TaskWait(id, timeout, ct);
    public ValueTask<CancelResult> TaskCancel(string id, CancellationToken ct = default) => Records.TaskCancel(id, ct);
    public async ValueTask<int> DeadLetterRedrive(DeadLetterRedriveParams request, CancellationToken ct = default) =>
        await Swept(await Records.DeadLetterRedrive(request, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    public ValueTask<int> DeadLetterPurge(DeadLetterPurgeParams request, CancellationToken ct = default) => Records.DeadLetterPurge(request, ct);
    public ValueTask<IReadOnlyList<QueueInfo>> QueueList(CancellationToken ct = default) => Records.QueueList(ct);
    public async ValueTask<MaintenanceResult> MaintenanceRun(TimeSpan retention, CancellationToken ct = default) =>
        await Swept(await Records.MaintenanceRun(retention, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    public async ValueTask<MaintenanceResult> MaintenanceRun(MaintenanceRunParams request, CancellationToken ct = default) =>
        await Swept(await Records.MaintenanceRun(request, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    public IDisposable EventsSubscribe(Action<TaskEvent> onEvent) => Records.EventsSubscribe(onEvent);
    public ValueTask<IReadOnlyList<HistoryBucket>> HistoryList(HistoryListParams request, CancellationToken ct = default) => Records.HistoryList(request, ct);
    public ValueTask<RetentionPolicy?> RetentionGet(CancellationToken ct = default) => Records.RetentionGet(ct);
    public ValueTask RetentionSet(RetentionPolicy? policy, CancellationToken ct = default) => Records.RetentionSet(policy, ct);
    public async ValueTask<IReadOnlyList<RetryResult>> TaskRetryMany(IReadOnlyList<string> ids, CancellationToken ct = default) =>
        await Swept(await Records.TaskRetryMany(ids, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    public ValueTask<IReadOnlyList<DeleteResult>> TaskDeleteMany(IReadOnlyList<string> ids, CancellationToken ct = default) => Records.TaskDeleteMany(ids, ct);
    public ValueTask BulkActionRecord(BulkActionRecord record, CancellationToken ct = default) => Records.BulkActionRecord(record, ct);
    public ValueTask<IReadOnlyList<BulkActionRecord>> BulkActionList(int limit, CancellationToken ct = default) => Records.BulkActionList(limit, ct);
    public ValueTask<DeadLetterGroups> DeadLetterGroups(string? queue, CancellationToken ct = default) => Records.DeadLetterGroups(queue, ct);

    // Schedules (records: a claimed tick's tasks become ready in the records, then reach the delivery by the sweep)
    public ValueTask<bool> ScheduleUpsert(ScheduleUpsertParams request, CancellationToken ct = default) => Records.ScheduleUpsert(request, ct);
    public ValueTask<Schedule?> ScheduleGet(string name, CancellationToken ct = default) => Records.ScheduleGet(name, ct);
    public ValueTask<IReadOnlyList<Schedule>> ScheduleList(CancellationToken ct = default) => Records.ScheduleList(ct);
    public ValueTask<bool> ScheduleDelete(string name, CancellationToken ct = default) => Records.ScheduleDelete(name, ct);
    public ValueTask<bool> SchedulePause(SchedulePauseParams request, CancellationToken ct = default) => Records.SchedulePause(request, ct);
    public ValueTask<IReadOnlyList<Schedule>> ScheduleDue(int max, CancellationToken ct = default) => Records.ScheduleDue(max, ct);
    public async ValueTask<ScheduleClaimResult> ScheduleClaim(ScheduleClaimParams request, CancellationToken ct = default) =>
        await Swept(await Records.ScheduleClaim(request, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    // Workflows (records: a released step becomes ready in the records, then reaches the delivery by the sweep)
    public async ValueTask WorkflowCreate(WorkflowRecord workflow, IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default)
    {
        await Records.WorkflowCreate(workflow, tasks, ct).ConfigureAwait(false);
        await Delivery.OutboxSweep(ct).ConfigureAwait(false);
    }
    public ValueTask<WorkflowRecord?> WorkflowGet(string id, CancellationToken ct = default) => Records.WorkflowGet(id, ct);
    public async ValueTask<WorkflowRecord?> WorkflowAdvance(string id, CancellationToken ct = default) =>
        await Swept(await Records.WorkflowAdvance(id, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    public ValueTask<WorkflowRecord?> WorkflowCancel(string id, CancellationToken ct = default) => Records.WorkflowCancel(id, ct);
    public async ValueTask<int> WorkflowSweep(int max, CancellationToken ct = default) =>
        await Swept(await Records.WorkflowSweep(max, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    // Worker registry
    public ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default) => Workers.WorkerHeartbeat(worker, ct);
    public ValueTask<WorkerListResult> WorkerList(TimeSpan liveWithin, CancellationToken ct = default) => Workers.WorkerList(liveWithin, ct);
    public ValueTask WorkerRemove(string workerId, CancellationToken ct = default) => Workers.WorkerRemove(workerId, ct);
    public ValueTask<WorkerCommandOutcome> WorkerCommand(WorkerCommandParams request, CancellationToken ct = default) => Workers.WorkerCommand(request, ct);

    private async ValueTask<T> Swept<T>(T result, CancellationToken ct)
    {
        await Delivery.OutboxSweep(ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>Disposes each part once (the records store and the registry are often one object), delivery first.</summary>
    public async ValueTask DisposeAsync()
    {
        await Delivery.DisposeAsync().ConfigureAwait(false);
        if (!ReferenceEquals(Records, Delivery)) await Records.DisposeAsync().ConfigureAwait(false);
        if (!ReferenceEquals(Workers, Records) && !ReferenceEquals(Workers, Delivery)) await Workers.DisposeAsync().ConfigureAwait(false);
    }
}
