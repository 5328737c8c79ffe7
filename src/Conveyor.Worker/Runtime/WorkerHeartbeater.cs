using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// Reports the worker to the registry on an interval (every second by default): who it is, the task
/// types it runs, what its slots run now, its counters and its status. The answer is how the broker
/// reaches the worker without pushing to it: the command set for it (quiet, stop) goes to the
/// <see cref="WorkerLifecycle"/>, and the ids of running tasks whose cancel was requested fire their
/// handlers' tokens, exactly as the lease renewer does when its answer says so (whichever is first).
/// </summary>
internal sealed class WorkerHeartbeater(WorkerRuntime runtime, WorkerLifecycle lifecycle, DateTimeOffset startedAt)
{
    private static readonly string Host = Environment.MachineName;
    private static readonly int Pid = Environment.ProcessId;
    private readonly IReadOnlyList<string> _types = [.. runtime.Handlers.Kinds.Order(StringComparer.Ordinal)];

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(runtime.Options.HeartbeatInterval, runtime.Time, stop).ConfigureAwait(false);
                await BeatAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public async Task BeatAsync(CancellationToken ct)
    {
        WorkerHeartbeatResult answer;
        try
        {
            answer = await runtime.Transport.WorkerHeartbeat(Announcement(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (!runtime.Refusal.Observe(ex) && !runtime.Outage.Observe(ex)) // ops: an unreachable store is logged once per episode
                runtime.Logger.LogWarning(TransportErrors.StackFor(ex), "the worker heartbeat failed ({Reason})", TransportErrors.Reason(ex));
            return;
        }
        runtime.Refusal.Accepted();
        runtime.Outage.Answered(); // ops
        foreach (var id in answer.Cancel)
            foreach (var slot in runtime.Slots)
                if (slot.TryCancel(id, CancelReason.CancelRequested))
                    runtime.Logger.LogInformation("task {TaskId}: cancel requested; its handler's token fired", id);
        if (lifecycle.Apply(answer.Command))
            runtime.Logger.LogInformation("worker {WorkerId}: the broker says {Command}", runtime.WorkerId, answer.Command == WorkerCommandKind.Stop ? "stop" : "quiet");
    }

    /// <summary>The worker as the registry shows it.</summary>
    internal WorkerInfo Announcement()
    {
        var running = new List<RunningTask>();
        foreach (var s in runtime.Slots)
            if (s.Running() is { } r) running.Add(r);
        return new WorkerInfo
        {
            Id = runtime.WorkerId,
            Host = Host,
            Pid = Pid,
            Queues = runtime.Queues.Names,
            Concurrency = runtime.Options.Concurrency,
            Types = _types,
            Running = running,
            RunningTaskIds = [.. running.Select(r => r.TaskId)],
            Processed = runtime.Processed,
            Failed = runtime.Failed,
            StartedAt = startedAt,
            Status = lifecycle.Status,
        };
    }

    public async Task RemoveAsync(CancellationToken ct)
    {
        try
        {
            await runtime.Transport.WorkerRemove(runtime.WorkerId, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            runtime.Logger.LogWarning(TransportErrors.StackFor(ex), "removing the worker from the registry failed ({Reason})", TransportErrors.Reason(ex));
        }
    }
}
