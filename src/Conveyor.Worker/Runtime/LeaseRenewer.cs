using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// Keeps the leases of running tasks alive with ONE batched ExtendMany for all of them, every third
/// of the lease duration (sooner, at most once a second, when a handler reported progress, or when a
/// task starts with a lease already a third used: a prefetched one that waited for its slot). Its
/// answers are how the worker learns that a task was cancelled or that a lease was lost. Every
/// schedule here is on this machine's monotonic clock and the lease duration, never on a deadline
/// the store answered: that is on another machine's wall clock (skew).
/// </summary>
internal sealed class LeaseRenewer(WorkerRuntime runtime)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The renewer's tick: the interval divided evenly into steps of at most a second, so that a
    /// renewal falls due on a tick (a 1 s tick on a 1.33 s interval renewed only every 2 s, half of a
    /// 4 s lease).
    /// </summary>
    internal static TimeSpan TickFor(TimeSpan interval) =>
        interval <= Tick ? interval : interval / Math.Ceiling(interval / Tick);

    public async Task RunAsync(CancellationToken stop)
    {
        var interval = runtime.Options.LeaseDuration / 3;
        var tick = TickFor(interval);
        var last = runtime.Time.GetTimestamp();
        try
        {
            while (true)
            {
                await Task.Delay(tick, runtime.Time, stop).ConfigureAwait(false);
                // skew: a slot whose lease has less than two intervals left (it began with a prefetched
                // lease) is renewed now rather than up to an interval later.
                if (runtime.Time.GetElapsedTime(last) < interval - tick / 8 && !runtime.TakeProgressPending()
                    && !runtime.Slots.Any(s => s.LeaseShorterThan(runtime.Options.LeaseDuration - interval))) continue;
                last = runtime.Time.GetTimestamp();
                await RenewAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    internal async Task RenewAsync(CancellationToken ct)
    {
        // Prefetched tasks still waiting for a slot after a whole renewal interval go back to the queue
        // (well before their lease, 3 intervals long, runs out): a free worker can take them.
        var handedBack = runtime.HandBackWaiting(runtime.Options.LeaseDuration / 3);
        if (handedBack > 0)
            runtime.Logger.LogInformation("{Count} prefetched tasks waited a third of their lease for a slot; handed back to the queue", handedBack);
        var items = new List<LeaseExtendParams>();
        foreach (var slot in runtime.Slots)
            if (slot.RenewalFor(runtime.Options.LeaseDuration) is { } item) items.Add(item);
        if (items.Count == 0) return;

        IReadOnlyList<LeaseExtendResult> results;
        var sent = runtime.Time.GetTimestamp(); // skew: a granted renewal runs from here, by our monotonic clock
        try
        {
            results = await runtime.Transport.ExtendMany(items, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (!runtime.Refusal.Observe(ex))
                runtime.Logger.LogWarning(TransportErrors.StackFor(ex), "renewing {Count} leases failed ({Reason})", items.Count, TransportErrors.Reason(ex));
            // We cannot reach the broker. Once a lease has run out by our own monotonic clock (from when
            // it or its last renewal was asked for: never a wall-clock deadline from another machine) it
            // is (or will be) reclaimed and run elsewhere: stop our copy rather than finish it twice.
            foreach (var slot in runtime.Slots)
                if (slot.Expired() is { } id) slot.TryCancel(id, CancelReason.LeaseLost);
            return;
        }

        foreach (var r in results)
        {
            var reason = r.CancelRequested ? CancelReason.CancelRequested
                : r.Outcome != AckOutcome.Ok ? CancelReason.LeaseLost
                : CancelReason.None;
            foreach (var slot in runtime.Slots)
            {
                if (reason == CancelReason.None) slot.LeaseExtended(r.TaskId, sent, runtime.Options.LeaseDuration);
                else if (slot.TryCancel(r.TaskId, reason))
                    runtime.Logger.LogInformation("task {TaskId}: {Reason}; its handler's token fired", r.TaskId,
                        reason == CancelReason.CancelRequested ? "cancel requested" : $"lease lost ({r.Outcome})");
            }
        }
    }
}
