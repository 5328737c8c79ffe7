using System.Diagnostics;
using Conveyor.Diagnostics;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Engine;

// Metrics and spans of the engine (DESIGN §7, issue 11). Every transition is metered here, where it
// happens: submits, leases, outcomes, cancels and, through MaintenanceRun, lease expiries.
public sealed partial class TaskEngine
{
    private LeaseTags? _leaseTags;
    private LeaseTags OpenLeases => _leaseTags ?? Interlocked.CompareExchange(ref _leaseTags, new LeaseTags(Time), null) ?? _leaseTags;

    /// <summary>
    /// The submit-side middleware chain (<see cref="ISubmitMiddleware"/>), run in order around every
    /// <see cref="SubmitMany"/> before validation, so a middleware may add metadata or refuse a batch.
    /// </summary>
    public IReadOnlyList<ISubmitMiddleware> SubmitMiddleware
    {
        get => _submitMiddleware;
        init { _submitMiddleware = value; _submitPipeline = null; }
    }

    private readonly IReadOnlyList<ISubmitMiddleware> _submitMiddleware = [];
    private SubmitDelegate? _submitPipeline;

    /// <summary>
    /// Background upkeep through the one door: the store's MaintenanceRun, metered (every reclaimed
    /// lease is a lease expiry and a failed attempt, then retried or dead) and traced.
    /// </summary>
    public async ValueTask<MaintenanceResult> MaintenanceRun(MaintenanceRunParams request, CancellationToken ct = default)
    {
        using var activity = ConveyorDiagnostics.ActivitySource.StartActivity("conveyor.maintenance", ActivityKind.Internal);
        var started = Time.GetTimestamp();
        var result = await Records.MaintenanceRun(request, ct).ConfigureAwait(false);
        StoreTook(StoreOperations.MaintenanceRun, started);
        await WorkflowSweep(WorkflowSweepBatch, ct).ConfigureAwait(false); // workflows: finish what a dead process left undone
        foreach (var r in result.Reclaims)
        {
            var tags = ConveyorDiagnostics.Tags(r.Queue, r.Type);
            ConveyorDiagnostics.LeaseExpired.Add(r.Retried + r.Dead, tags);
            ConveyorDiagnostics.Failed.Add(r.Retried + r.Dead, tags);
            if (r.Retried > 0) ConveyorDiagnostics.Retried.Add(r.Retried, tags);
            if (r.Dead > 0) ConveyorDiagnostics.Dead.Add(r.Dead, tags);
        }
        foreach (var e in result.Expiries) ConveyorDiagnostics.Expired.Add(e.Count, ConveyorDiagnostics.Tags(e.Queue, e.Type)); // expiry
        _leaseTags?.Purge();
        activity?.SetTag("conveyor.maintenance.promoted", result.Promoted)
            .SetTag("conveyor.maintenance.reclaimed", result.Reclaimed)
            .SetTag("conveyor.maintenance.expired", result.Expired);
        return result;
    }

    private SubmitDelegate SubmitChain => _submitPipeline ??= SubmitPipeline.Build(_submitMiddleware, SubmitValidated);

    /// <summary>The producer span of a submit: its context is what each new task carries as its traceparent.</summary>
    private static Activity? StartSubmitActivity(int count)
    {
        var activity = ConveyorDiagnostics.ActivitySource.StartActivity("conveyor.task.submit", ActivityKind.Producer);
        activity?.SetTag("conveyor.tasks.count", count);
        return activity;
    }

    private static void MeterSubmitted(TaskRecord[] records, IReadOnlyList<EnqueueResult> results)
    {
        for (var i = 0; i < results.Count; i++)
            if (results[i].Created) ConveyorDiagnostics.Submitted.Add(1, ConveyorDiagnostics.Tags(records[i].Queue, records[i].Type));
    }

    private void MeterLeased(IReadOnlyList<LeasedTask> leased)
    {
        if (leased.Count == 0) return;
        var now = Time.GetUtcNow();
        foreach (var l in leased)
        {
            var tags = ConveyorDiagnostics.Tags(l.Task.Queue, l.Task.Type);
            ConveyorDiagnostics.Started.Add(1, tags);
            ConveyorDiagnostics.QueueWait.Record(Math.Max(0, (now - l.Task.ScheduledFor).TotalSeconds), tags);
            OpenLeases.Leased(l);
        }
    }

    /// <summary>
    /// Outcomes by queue and type, with the attempt's run time (lease to outcome). Tokens this engine
    /// did not lease (another broker did) are looked up: one read per such task, only then.
    /// </summary>
    private async ValueTask MeterOutcomes(IReadOnlyList<string> tokens, IReadOnlyList<AckResult> results, bool completed, CancellationToken ct)
    {
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            var known = OpenLeases.TryTake(tokens[i], out var entry);
            if (r.Outcome != AckOutcome.Ok) continue;
            TagList tags;
            if (known)
            {
                tags = ConveyorDiagnostics.Tags(entry.Queue, entry.Type);
                ConveyorDiagnostics.RunTime.Record(OpenLeases.Since(entry).TotalSeconds, tags);
            }
            else
            {
                var task = await Records.TaskGet(r.TaskId, ct).ConfigureAwait(false);
                tags = ConveyorDiagnostics.Tags(task?.Queue ?? "", task?.Type ?? "");
                if (task?.Attempts is [.., var last]) ConveyorDiagnostics.RunTime.Record(Math.Max(0, ((last.FinishedAt ?? Time.GetUtcNow()) - last.StartedAt).TotalSeconds), tags);
            }
            if (completed) { ConveyorDiagnostics.Succeeded.Add(1, tags); continue; }
            ConveyorDiagnostics.Failed.Add(1, tags);
            if (r.State == TaskState.Failed) ConveyorDiagnostics.Dead.Add(1, tags);
            else ConveyorDiagnostics.Retried.Add(1, tags);
        }
    }

    private static void MeterCancelled(CancelResult result)
    {
        if (result.Outcome is CancelOutcome.Cancelled or CancelOutcome.CancelledWhileRunning && result.Task is { } t)
            ConveyorDiagnostics.Cancelled.Add(1, ConveyorDiagnostics.Tags(t.Queue, t.Type));
    }

    private void StoreTook(string operation, long started) =>
        ConveyorDiagnostics.StoreDuration.Record(Time.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>(ConveyorDiagnostics.OperationTag, operation), new KeyValuePair<string, object?>("store", Store.Name));

    /// <summary>
    /// A store call, timed (the store-latency histogram) and, under a parent span, traced. The start
    /// time is taken by the caller before the call is made (arguments are evaluated in order).
    /// </summary>
    private async ValueTask<T> Timed<T>(string operation, long started, ValueTask<T> call)
    {
        var parent = Activity.Current;
        using var activity = parent is null ? null
            : ConveyorDiagnostics.ActivitySource.StartActivity($"conveyor.store {operation}", ActivityKind.Client, parent.Context,
                startTime: Time.GetUtcNow() - Time.GetElapsedTime(started));
        activity?.SetTag("db.system", Store.Name).SetTag("db.operation", operation);
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception e) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            StoreTook(operation, started);
        }
    }
}

/// <summary>The store operations the engine times, by their one name.</summary>
internal static class StoreOperations
{
    public const string TaskEnqueueMany = nameof(TaskEnqueueMany);
    public const string TaskLease = nameof(TaskLease);
    public const string TaskCompleteMany = nameof(TaskCompleteMany);
    public const string TaskFailMany = nameof(TaskFailMany);
    public const string LeaseExtendMany = nameof(LeaseExtendMany);
    public const string TaskReleaseMany = nameof(TaskReleaseMany);
    public const string TaskCancel = nameof(TaskCancel);
    public const string MaintenanceRun = nameof(MaintenanceRun);
    // workflows:
    public const string WorkflowCreate = nameof(WorkflowCreate);
    public const string WorkflowAdvance = nameof(WorkflowAdvance);
    public const string WorkflowCancel = nameof(WorkflowCancel);
    public const string WorkflowSweep = nameof(WorkflowSweep);
    public const string RetentionGet = nameof(RetentionGet);
    public const string RetentionSet = nameof(RetentionSet);
}
