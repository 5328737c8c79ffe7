using Conveyor.Store;

namespace Conveyor.Engine;

// The worker registry's commands and announcements (issue 10: the dashboard's workers and submit pages).
public sealed partial class TaskEngine
{
    /// <summary>Quiet or stop a worker: carried to it in the answer to its next heartbeat.</summary>
    public ValueTask<WorkerCommandOutcome> WorkerCommand(WorkerCommandParams request, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(request.WorkerId) || request.WorkerId.Length > 200)
            return ValueTask.FromResult(WorkerCommandOutcome.NotFound);
        if (request.Command is not (WorkerCommandKind.Quiet or WorkerCommandKind.Stop))
            throw new ConveyorValidationException("command", "command must be quiet or stop");
        return Workers.WorkerCommand(request, ct);
    }

    /// <summary>The task types live workers announce, by name, with how many live workers run each.</summary>
    public async ValueTask<IReadOnlyList<TaskTypeInfo>> TaskTypes(TimeSpan liveWithin, CancellationToken ct = default)
    {
        var workers = await WorkerList(liveWithin, ct).ConfigureAwait(false);
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var w in workers.Live)
            foreach (var type in w.Types.Distinct(StringComparer.Ordinal))
                counts[type] = counts.GetValueOrDefault(type) + 1;
        return [.. counts.Select(kv => new TaskTypeInfo(kv.Key, kv.Value))];
    }

    private static void CheckAnnouncement(WorkerInfo worker)
    {
        var errors = new List<ValidationError>();
        if (!WorkerStatus.IsKnown(worker.Status)) errors.Add(new("status", "status must be running, quiet or draining"));
        if (worker.Types.Count > WorkerRegistry.MaxAnnounced) errors.Add(new("types", $"at most {WorkerRegistry.MaxAnnounced} types"));
        foreach (var t in worker.Types)
            if (Names.CheckType(t) is { } e) { errors.Add(new("types", e)); break; }
        if (worker.Running.Count > WorkerRegistry.MaxAnnounced) errors.Add(new("running", $"at most {WorkerRegistry.MaxAnnounced} running tasks"));
        foreach (var r in worker.Running)
        {
            if (r is null || !TaskIds.IsValid(r.TaskId)) { errors.Add(new("running.task_id", "a running task needs a task id this broker handed out")); break; }
            if (Names.CheckType(r.Type) is { } te) { errors.Add(new("running.type", te)); break; }
            if (Names.CheckQueue(r.Queue) is { } qe) { errors.Add(new("running.queue", qe)); break; }
        }
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
    }
}
