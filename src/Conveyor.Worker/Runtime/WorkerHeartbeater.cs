using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>Reports the worker to the registry (host, pid, queues, concurrency, running tasks, counters) on an interval.</summary>
internal sealed class WorkerHeartbeater(WorkerRuntime runtime, DateTimeOffset startedAt)
{
    private static readonly string Host = Environment.MachineName;
    private static readonly int Pid = Environment.ProcessId;

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(runtime.Options.HeartbeatInterval, runtime.Time, stop).ConfigureAwait(false);
                await BeatAsync("running", stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public async Task BeatAsync(string status, CancellationToken ct)
    {
        var info = new WorkerInfo
        {
            Id = runtime.WorkerId,
            Host = Host,
            Pid = Pid,
            Queues = runtime.Options.Queues,
            Concurrency = runtime.Options.Concurrency,
            RunningTaskIds = runtime.RunningTaskIds(),
            Processed = runtime.Processed,
            Failed = runtime.Failed,
            StartedAt = startedAt,
            Status = status,
        };
        try
        {
            await runtime.Transport.WorkerHeartbeat(info, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            runtime.Logger.LogWarning(TransportErrors.StackFor(ex), "the worker heartbeat failed ({Reason})", TransportErrors.Reason(ex));
        }
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
