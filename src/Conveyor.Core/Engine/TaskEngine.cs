using System.Diagnostics;
using Conveyor.Diagnostics;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Engine;

/// <summary>
/// The rules between every front end (HTTP API, CLI, dashboard, in-process worker, .NET client) and a
/// store: validation, ids, trace context, metrics. Endpoints stay thin and call this; the store keeps
/// the atomic transitions. Invalid input throws <see cref="ConveyorValidationException"/> before the
/// store is touched, so a rejected request changes nothing.
/// </summary>
public sealed partial class TaskEngine(ITaskStore store, TimeProvider time, TaskLimits? limits = null)
{
    public static readonly TimeSpan MaxLeaseWait = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan MaxTaskWait = TimeSpan.FromMinutes(5);

    public ITaskStore Store { get; } = store;
    public TimeProvider Time { get; } = IStoreClock.For(store, time); // faults2: the store's clock where several machines share it
    public TaskLimits Limits { get; } = limits ?? TaskLimits.Default;

    public async ValueTask<EnqueueResult> Submit(TaskSubmission submission, CancellationToken ct = default) =>
        (await SubmitMany([submission], ct).ConfigureAwait(false))[0];

    /// <summary>
    /// All or nothing: one invalid submission rejects the whole batch, and nothing is stored. Runs the
    /// <see cref="SubmitMiddleware"/> chain, inside the producer span whose context the new tasks carry.
    /// </summary>
    public ValueTask<IReadOnlyList<EnqueueResult>> SubmitMany(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct = default)
    {
        if (submissions.Count == 0) return ValueTask.FromResult<IReadOnlyList<EnqueueResult>>([]);
        var activity = StartSubmitActivity(submissions.Count);
        // enqueue: no async frame of its own without a span or a middleware (SubmitValidated is async: it never throws here)
        return activity is null && _submitMiddleware.Count == 0 ? SubmitValidated(submissions, ct) : Traced(activity, submissions, ct);
    }

    private async ValueTask<IReadOnlyList<EnqueueResult>> Traced(Activity? activity, IReadOnlyList<TaskSubmission> submissions, CancellationToken ct)
    {
        using (activity) return await SubmitChain(submissions, ct).ConfigureAwait(false);
    }

    private async ValueTask<IReadOnlyList<EnqueueResult>> SubmitValidated(IReadOnlyList<TaskSubmission> submissions, CancellationToken ct)
    {
        if (submissions.Count == 0) return [];
        if (submissions.Count > TaskDefaults.MaxEnqueueBatch)
            throw new ConveyorValidationException("tasks", $"a batch holds at most {TaskDefaults.MaxEnqueueBatch} tasks; got {submissions.Count}");
        var now = Time.GetUtcNow();
        List<ValidationError>? errors = null;
        var records = new TaskRecord[submissions.Count];
        var traceParent = Activity.Current?.Id;
        for (var i = 0; i < submissions.Count; i++)
        {
            var s = submissions[i];
            var found = TaskValidator.Validate(s, Limits, submissions.Count == 1 ? "" : $"tasks[{i}].", now); // expiry: now for expires_at
            if (found.Count > 0) { (errors ??= []).AddRange(found); continue; } // enqueue: a list only when something is wrong
            if ((s.ExpiresAt is not null || s.Ttl is not null) && !Store.SupportsExpiry) // expiry
            {
                (errors ??= []).Add(new ValidationError((submissions.Count == 1 ? "" : $"tasks[{i}].") + (s.Ttl is null ? "expires_at" : "ttl"),
                    $"the store '{Store.Name}' does not support expiry yet; submit without expires_at/ttl or use a SQLite store"));
                continue;
            }
            if (traceParent is not null && (s.Metadata is null || !s.Metadata.ContainsKey(ConveyorDiagnostics.TraceParentKey)))
                s = s with { Metadata = WithTraceParent(s.Metadata, traceParent) };
            records[i] = TaskValidator.BuildValidated(s, TaskIds.New(Time), now);
        }
        if (errors is { Count: > 0 })
            throw new ConveyorValidationException(errors) { IsTooLarge = TaskValidator.OnlySizeErrors(errors) };

        // perf: a single submission shares a store call with concurrent ones (TaskEngine.Coalescing.cs).
        var started = Time.GetTimestamp();
        var enqueue = records.Length == 1 ? EnqueueSingle(records[0], ct) : Delivery.TaskEnqueueMany(records, ct);
        IReadOnlyList<EnqueueResult> results;
        if (Activity.Current is null) // enqueue: timed here, without Timed's frame, when there is no span to open
        {
            try { results = await enqueue.ConfigureAwait(false); }
            finally { StoreTook(StoreOperations.TaskEnqueueMany, started); }
        }
        else results = await Timed(StoreOperations.TaskEnqueueMany, started, enqueue).ConfigureAwait(false);
        MeterSubmitted(records, results);
        return results;
    }

    public async ValueTask<IReadOnlyList<LeasedTask>> Lease(TaskLeaseParams request, CancellationToken ct = default)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(request.WorkerId) || request.WorkerId.Length > 200)
            errors.Add(new("worker_id", "worker_id must be 1 to 200 characters"));
        if (request.Queues.Count == 0) errors.Add(new("queues", "name at least one queue"));
        if (request.Queues.Count > 100) errors.Add(new("queues", "at most 100 queues per lease"));
        foreach (var q in request.Queues)
            if (Names.CheckQueue(q) is { } e) errors.Add(new("queues", e));
        if (request.Max < 1 || request.Max > TaskDefaults.MaxLeaseBatch)
            errors.Add(new("max", $"max must be between 1 and {TaskDefaults.MaxLeaseBatch}; got {request.Max}"));
        if (request.LeaseDuration < TimeSpan.FromSeconds(1) || request.LeaseDuration > TaskDefaults.MaxLeaseDuration)
            errors.Add(new("lease_duration", $"lease_duration must be between 1 and {TaskDefaults.MaxLeaseDuration.TotalSeconds} seconds"));
        if (request.Wait < TimeSpan.Zero || request.Wait > MaxLeaseWait)
            errors.Add(new("wait", $"wait must be between 0 and {MaxLeaseWait.TotalSeconds} seconds"));
        if (errors.Count > 0) throw new ConveyorValidationException(errors);

        var leased = await Timed(StoreOperations.TaskLease, Time.GetTimestamp(), Delivery.TaskLease(request, ct)).ConfigureAwait(false);
        MeterLeased(leased);
        NoteWorkflowSteps(leased); // workflows
        return leased;
    }

    public async ValueTask<IReadOnlyList<AckResult>> CompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default)
    {
        for (var i = 0; i < items.Count; i++)
            if (TaskValidator.CheckResult(items[i].Result, Limits) is { } e)
                throw new ConveyorValidationException(items.Count == 1 ? "result" : $"items[{i}].result", e) { IsTooLarge = true };
        var results = await Timed(StoreOperations.TaskCompleteMany, Time.GetTimestamp(), Delivery.TaskCompleteMany(items, ct)).ConfigureAwait(false);
        await MeterOutcomes([.. items.Select(i => i.LeaseToken)], results, completed: true, ct).ConfigureAwait(false);
        if (!_stepLeases.IsEmpty) await AdvanceWorkflows([.. items.Select(i => i.LeaseToken)], results, ct).ConfigureAwait(false); // workflows
        return results;
    }

    public async ValueTask<IReadOnlyList<AckResult>> FailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].RetryDelay is { } d && (d < TimeSpan.Zero || d > BackoffPolicy.MaxDelay))
                throw new ConveyorValidationException(items.Count == 1 ? "retry_delay" : $"items[{i}].retry_delay", $"retry_delay must be between 0 and {BackoffPolicy.MaxDelay.TotalSeconds} seconds");
        }
        var clipped = items.Select(i => i with { Error = i.Error.Truncated() }).ToList();
        var results = await Timed(StoreOperations.TaskFailMany, Time.GetTimestamp(), Delivery.TaskFailMany(clipped, ct)).ConfigureAwait(false);
        await MeterOutcomes([.. items.Select(i => i.LeaseToken)], results, completed: false, ct).ConfigureAwait(false);
        if (!_stepLeases.IsEmpty) await AdvanceWorkflows([.. items.Select(i => i.LeaseToken)], results, ct).ConfigureAwait(false); // workflows
        return results;
    }

    public ValueTask<IReadOnlyList<LeaseExtendResult>> ExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default)
    {
        foreach (var i in items)
        {
            if (i.Duration < TimeSpan.FromSeconds(1) || i.Duration > TaskDefaults.MaxLeaseDuration)
                throw new ConveyorValidationException("lease_duration", $"lease_duration must be between 1 and {TaskDefaults.MaxLeaseDuration.TotalSeconds} seconds");
            if (i.Progress is { } p && (p.Percent < 0 || p.Percent > 100))
                throw new ConveyorValidationException("progress.percent", $"progress must be between 0 and 100; got {p.Percent}");
            if (i.Progress?.Message is { Length: > TaskProgress.MaxMessageLength })
                throw new ConveyorValidationException("progress.message", $"a progress message is at most {TaskProgress.MaxMessageLength} characters");
        }
        return Timed(StoreOperations.LeaseExtendMany, Time.GetTimestamp(), Delivery.LeaseExtendMany(items, ct));
    }

    public ValueTask<IReadOnlyList<AckResult>> ReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default)
    {
        foreach (var i in items) OpenLeases.Forget(i.LeaseToken);
        return Timed(StoreOperations.TaskReleaseMany, Time.GetTimestamp(), Delivery.TaskReleaseMany(items, ct));
    }

    public ValueTask<TaskRecord?> Get(string id, CancellationToken ct = default) =>
        TaskIds.IsValid(id) ? Records.TaskGet(id, ct) : ValueTask.FromResult<TaskRecord?>(null);

    public ValueTask<TaskPage> List(TaskListParams query, CancellationToken ct = default)
    {
        var errors = new List<ValidationError>();
        ListErrors(query, errors);
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
        return Records.TaskList(Normalized(query), ct);
    }

    private static void ListErrors(TaskListParams query, List<ValidationError> errors)
    {
        if (query.Queue is not null && Names.CheckQueue(query.Queue) is { } qe) errors.Add(new("queue", qe));
        if (query.Type is not null && Names.CheckType(query.Type) is { } te) errors.Add(new("type", te));
        if (query.Limit < 1 || query.Limit > TaskListParams.MaxLimit) errors.Add(new("limit", $"limit must be between 1 and {TaskListParams.MaxLimit}; got {query.Limit}"));
        if (query.Cursor is not null && !TaskIds.IsValid(query.Cursor)) errors.Add(new("cursor", "cursor is not one this server handed out"));
        SearchErrors(query, errors);
    }

    public ValueTask<TaskRecord?> Wait(string id, TimeSpan timeout, CancellationToken ct = default)
    {
        if (timeout < TimeSpan.Zero || timeout > MaxTaskWait)
            throw new ConveyorValidationException("timeout", $"timeout must be between 0 and {MaxTaskWait.TotalSeconds} seconds");
        return TaskIds.IsValid(id) ? Records.TaskWait(id, timeout, ct) : ValueTask.FromResult<TaskRecord?>(null);
    }

    public async ValueTask<CancelResult> Cancel(string id, CancellationToken ct = default)
    {
        if (!TaskIds.IsValid(id)) return new CancelResult(CancelOutcome.NotFound, null);
        var result = await Timed(StoreOperations.TaskCancel, Time.GetTimestamp(), Records.TaskCancel(id, ct)).ConfigureAwait(false);
        MeterCancelled(result);
        return result;
    }

    public ValueTask<int> DeadLetterRedrive(DeadLetterRedriveParams request, CancellationToken ct = default)
    {
        if (request.Queue is not null && Names.CheckQueue(request.Queue) is { } e) throw new ConveyorValidationException("queue", e);
        RedriveArgsErrors(request);
        if (request.TaskId is not null && !TaskIds.IsValid(request.TaskId)) return ValueTask.FromResult(0);
        return Records.DeadLetterRedrive(request, ct);
    }

    public ValueTask<int> DeadLetterPurge(DeadLetterPurgeParams request, CancellationToken ct = default)
    {
        if (request.Queue is not null && Names.CheckQueue(request.Queue) is { } e) throw new ConveyorValidationException("queue", e);
        if (request.TaskId is not null && !TaskIds.IsValid(request.TaskId)) return ValueTask.FromResult(0);
        return Records.DeadLetterPurge(request, ct);
    }

    public ValueTask QueuePause(string queue, CancellationToken ct = default) =>
        Names.CheckQueue(queue) is { } e ? throw new ConveyorValidationException("queue", e) : Delivery.QueuePause(queue, ct);

    public ValueTask QueueResume(string queue, CancellationToken ct = default) =>
        Names.CheckQueue(queue) is { } e ? throw new ConveyorValidationException("queue", e) : Delivery.QueueResume(queue, ct);

    public ValueTask<IReadOnlyList<QueueInfo>> QueueList(CancellationToken ct = default) => Records.QueueList(ct);

    public ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(worker.Id) || worker.Id.Length > 200) throw new ConveyorValidationException("id", "worker id must be 1 to 200 characters");
        foreach (var q in worker.Queues)
            if (Names.CheckQueue(q) is { } e) throw new ConveyorValidationException("queues", e);
        CheckAnnouncement(worker);
        return Workers.WorkerHeartbeat(worker, ct);
    }

    public ValueTask<WorkerListResult> WorkerList(TimeSpan liveWithin, CancellationToken ct = default) => Workers.WorkerList(liveWithin, ct);

    public ValueTask WorkerRemove(string workerId, CancellationToken ct = default) => Workers.WorkerRemove(workerId, ct);

    private static Dictionary<string, string> WithTraceParent(IReadOnlyDictionary<string, string>? metadata, string traceParent)
    {
        var copy = metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(metadata);
        if (copy.Count < TaskDefaults.MaxMetadataEntries) copy[ConveyorDiagnostics.TraceParentKey] = traceParent;
        return copy;
    }
}
