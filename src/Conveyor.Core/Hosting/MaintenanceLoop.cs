using Conveyor.Engine;
using Conveyor.Retention;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Hosting;

/// <summary>
/// Store upkeep about once a second with ±20% jitter: promote due scheduled tasks, reclaim expired
/// leases (each one a failed attempt "lease_expired", so a task that kills its worker every time ends
/// dead instead of looping), delete terminal tasks past retention. Every store makes MaintenanceRun
/// safe to run from many processes at once, so brokers and direct workers all run it and nothing
/// coordinates; the jitter keeps them from hitting the store in lock-step. It runs through the engine
/// (<see cref="TaskEngine.MaintenanceRun"/>), so lease expiries reach the failed/dead metrics; then it claims
/// due schedule ticks (<see cref="TaskEngine.ScheduleTick"/>, exactly once across processes). Every few
/// runs it also asks whether the store is ready (<see cref="TaskEngine.ReadinessCheck"/>), so a Redis whose
/// eviction policy was changed under it is noticed (and logged, once per change) even when no probe calls /readyz.
/// </summary>
public sealed class MaintenanceLoop(TaskEngine engine, TimeProvider time, ILogger<MaintenanceLoop> log) : BackgroundService
{
    /// <summary>How often it runs (±20%). Default 1 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long terminal tasks are kept, per queue and state, when the store holds no policy of its own
    /// (<see cref="TaskEngine.RetentionSet"/>). Default: 7 days for everything (DESIGN §3).
    /// </summary>
    public RetentionPolicy Retention { get; init; } = RetentionPolicy.Uniform(TaskDefaults.Retention);

    /// <summary>Every this many runs, the store's readiness is checked. Default 5 (about every 5 s).</summary>
    public int ReadinessEvery { get; init; } = 5;

    /// <summary>Called after every run (the server refreshes its queue gauges here).</summary>
    public Func<int, CancellationToken, Task>? AfterRun { get; init; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = 0;
        var behind = false;
        StoreCondition last = StoreCondition.Ready;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (ReadinessEvery > 0 && tick % ReadinessEvery == 0) last = await CheckReadiness(last, stoppingToken).ConfigureAwait(false);
                var r = await engine.MaintenanceRun(Retention, stoppingToken).ConfigureAwait(false);
                // A run that deleted as much as one run may has more to delete: the next one starts at once,
                // so retention keeps up with any rate of finishing tasks in bounded steps.
                behind = r.Expired >= MaintenanceRunParams.DefaultRetentionLimit;
                if (r.Promoted + r.Reclaimed + r.Expired > 0)
                    log.LogInformation("Maintenance: promoted {Promoted}, reclaimed {Reclaimed} expired leases, removed {Expired}", r.Promoted, r.Reclaimed, r.Expired);
                await engine.ScheduleTick(stoppingToken).ConfigureAwait(false); // cron: submit due schedule ticks (TaskEngine.Schedules.cs)
                if (AfterRun is not null) await AfterRun(tick, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StoreFullException or StoreFailedException || StoreUnreachableException.IsUnreachable(e)) // ops: unreachable too
            {
                behind = false;
                // The store logs one line per episode of refused writes (or of being unreachable), and one
                // when it fails closed after a failed sync; nothing to add every second.
            }
            catch (Exception e)
            {
                behind = false;
                log.LogWarning(e, "Maintenance run failed; trying again next tick");
            }
            tick++;
            if (behind) { await Task.Yield(); continue; }
            var jitter = 0.8 + Random.Shared.NextDouble() * 0.4;
            try { await Task.Delay(Interval * jitter, time, stoppingToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task<StoreCondition> CheckReadiness(StoreCondition last, CancellationToken ct)
    {
        var now = await engine.ReadinessCheck(ct).ConfigureAwait(false);
        if (now.Condition == last) return last;
        // Only the eviction policy is logged here: stores log their own connection failures and their
        // episodes of refused writes, once each, and a second line for the same episode is noise.
        if (now.Condition == StoreCondition.EvictionPolicy)
            log.LogWarning("The {Store} store is not ready ({Reason}): {Detail}", engine.Store.Name, now.Reason, now.Detail);
        else if (last == StoreCondition.EvictionPolicy)
            log.LogInformation("The {Store} store no longer reports {Reason}", engine.Store.Name, "eviction_policy");
        return now.Condition;
    }
}
