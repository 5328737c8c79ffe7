using Conveyor.Engine;
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
/// (<see cref="TaskEngine.MaintenanceRun"/>), so lease expiries reach the failed/dead metrics.
/// </summary>
public sealed class MaintenanceLoop(TaskEngine engine, TimeProvider time, ILogger<MaintenanceLoop> log) : BackgroundService
{
    /// <summary>How often it runs (±20%). Default 1 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long terminal tasks are kept. Default 7 days (DESIGN §3).</summary>
    public TimeSpan Retention { get; init; } = TaskDefaults.Retention;

    /// <summary>Called after every run (the server refreshes its queue gauges here).</summary>
    public Func<int, CancellationToken, Task>? AfterRun { get; init; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var r = await engine.MaintenanceRun(Retention, stoppingToken).ConfigureAwait(false);
                if (r.Promoted + r.Reclaimed + r.Expired > 0)
                    log.LogInformation("Maintenance: promoted {Promoted}, reclaimed {Reclaimed} expired leases, removed {Expired}", r.Promoted, r.Reclaimed, r.Expired);
                if (AfterRun is not null) await AfterRun(tick++, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Maintenance run failed; trying again next tick");
            }
            var jitter = 0.8 + Random.Shared.NextDouble() * 0.4;
            try { await Task.Delay(Interval * jitter, time, stoppingToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }
}
