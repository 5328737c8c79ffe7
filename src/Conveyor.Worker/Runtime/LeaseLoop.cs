using System.Threading.Channels;
using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// Sidekiq's Fetch: leases for free slots (plus the small prefetch of <see cref="WorkerRuntime.PrefetchAllowance"/>),
/// as many as one call may take (the lease batch), and blocks in the store (Wait) instead of polling.
/// Leased tasks go to the executors through a channel.
/// </summary>
internal sealed class LeaseLoop(WorkerRuntime runtime, ChannelWriter<LeasedTask> dispatch)
{
    private static readonly TimeSpan[] ErrorDelays = [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    public async Task RunAsync(CancellationToken stop)
    {
        var o = runtime.Options;
        var errors = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var room = await runtime.TakeLeaseRoom(o.LeaseBatch, stop).ConfigureAwait(false);
                IReadOnlyList<LeasedTask> leased;
                // Stopping cancels a lease that is still waiting for work. A transport must either return
                // what it leased or throw before leasing (the SQLite store does: once its lease is queued
                // it is not cancellable); tasks that arrive after the stop began go back via the executors.
                try
                {
                    var started = runtime.Time.GetTimestamp();
                    leased = await runtime.Transport.Lease(new TaskLeaseParams(runtime.WorkerId, o.Queues, room, o.LeaseDuration, o.LeaseWait), stop).ConfigureAwait(false);
                    if (leased.Count > 0) runtime.LeaseTook(runtime.Time.GetElapsedTime(started));
                    errors = 0;
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    runtime.ReturnRoom(room);
                    var delay = ErrorDelays[Math.Min(errors++, ErrorDelays.Length - 1)];
                    runtime.Logger.LogWarning(TransportErrors.StackFor(ex), "leasing failed ({Reason}); trying again in {Delay}", TransportErrors.Reason(ex), delay);
                    await Task.Delay(delay, runtime.Time, stop).ConfigureAwait(false);
                    continue;
                }
                catch
                {
                    runtime.ReturnRoom(room);
                    throw;
                }
                runtime.ReturnRoom(room - leased.Count);
                foreach (var t in leased)
                {
                    runtime.Buffered(t);
                    dispatch.TryWrite(t);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: no more leasing.
        }
        finally
        {
            dispatch.TryComplete();
        }
    }
}
