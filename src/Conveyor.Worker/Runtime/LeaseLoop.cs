using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// Sidekiq's Fetch: leases for free slots (plus the small prefetch of <see cref="WorkerRuntime.PrefetchAllowance"/>),
/// as many as one call may take (the lease batch), and blocks in the store (Wait) instead of polling.
/// Leased tasks go to the executors through <see cref="TaskDispatch"/>.
/// </summary>
internal sealed class LeaseLoop(WorkerRuntime runtime, TaskDispatch dispatch)
{
    private static readonly TimeSpan[] ErrorDelays = [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    /// <summary>
    /// While the store is unreachable a lease fails at once and costs nothing, so the loop tries again at
    /// least every second (as Sidekiq's fetch does): a worker leases within a second of the store coming
    /// back instead of sleeping out a longer backoff while other workers take the work.
    /// </summary>
    private static readonly TimeSpan[] OutageDelays = [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    public async Task RunAsync(CancellationToken stop)
    {
        var o = runtime.Options;
        var errors = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var (room, slotFree) = await runtime.TakeLeaseRoom(o.LeaseBatch, stop).ConfigureAwait(false);
                // Only a free slot waits in the store for new work. Room that is all prefetch takes what
                // is ready now: a blocked lease would also grab the very task a hand-back just returned.
                var wait = slotFree ? o.LeaseWait : TimeSpan.Zero;
                IReadOnlyList<LeasedTask> leased;
                var started = runtime.Time.GetTimestamp();
                // Stopping cancels a lease that is still waiting for work. A transport must either return
                // what it leased or throw before leasing (the SQLite store does: once its lease is queued
                // it is not cancellable); tasks that arrive after the stop began go back via the executors.
                try
                {
                    leased = await runtime.Transport.Lease(new TaskLeaseParams(runtime.WorkerId, runtime.Queues.Next(), room, o.LeaseDuration, wait), stop).ConfigureAwait(false);
                    if (leased.Count > 0) runtime.LeaseTook(runtime.Time.GetElapsedTime(started));
                    errors = 0;
                    runtime.Refusal.Accepted();
                    runtime.Outage.Answered(); // ops
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    runtime.ReturnRoom(room);
                    TimeSpan delay;
                    if (runtime.Refusal.Observe(ex))
                        delay = CredentialsRefusal.Delays[Math.Min(errors++, CredentialsRefusal.Delays.Length - 1)];
                    else if (runtime.Outage.Observe(ex)) // ops: logged once per episode
                        delay = OutageDelays[Math.Min(errors++, OutageDelays.Length - 1)];
                    else
                    {
                        delay = ErrorDelays[Math.Min(errors++, ErrorDelays.Length - 1)];
                        runtime.Logger.LogWarning(TransportErrors.StackFor(ex), "leasing failed ({Reason}); trying again in {Delay}", TransportErrors.Reason(ex), delay);
                    }
                    await Task.Delay(delay, runtime.Time, stop).ConfigureAwait(false);
                    continue;
                }
                catch
                {
                    runtime.ReturnRoom(room);
                    throw;
                }
                for (var i = 0; i < leased.Count; i++)
                {
                    runtime.Buffered(leased[i], started);
                    // w2pickup: the last one starts on this thread (the loop goes on from the pool): no hop to its handler.
                    if (i < leased.Count - 1) dispatch.Post(leased[i]);
                    else await dispatch.StartLast(leased[i]);
                }
                if (leased.Count == 0 && !slotFree)
                {
                    // Nothing ready to prefetch: wait for a slot to free, then lease (and wait) for it.
                    runtime.ReturnRoom(room, signal: false);
                    await runtime.WaitRoomFreed(stop).ConfigureAwait(false);
                }
                else runtime.ReturnRoom(room - leased.Count);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: no more leasing.
        }
        finally
        {
            dispatch.Complete();
        }
    }
}
