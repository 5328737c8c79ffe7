using Conveyor.Engine;
using Conveyor.Server.Observability;
using Microsoft.Extensions.Hosting;

namespace Conveyor.Server.Maintenance;

/// <summary>
/// Runs store upkeep about once a second with ±20% jitter: promote due scheduled tasks, reclaim
/// expired leases (each one a failed attempt "lease_expired", so a task that kills its worker every
/// time ends dead instead of looping), delete terminal tasks past retention. Every store makes
/// MaintenanceRun safe to run from many servers at once, so nothing here coordinates; the jitter
/// just keeps several servers from hitting the store in lock-step.
/// </summary>
internal sealed class MaintenanceService(TaskEngine engine, ServerOptions options, TimeProvider time, QueueGauges gauges, ILogger<MaintenanceService> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var r = await engine.Store.MaintenanceRun(options.Retention, stoppingToken);
                if (r.Promoted + r.Reclaimed + r.Expired > 0)
                    log.LogInformation("Maintenance: promoted {Promoted}, reclaimed {Reclaimed} expired leases, removed {Expired}", r.Promoted, r.Reclaimed, r.Expired);
                if (tick++ % 5 == 0) await gauges.Refresh(stoppingToken);
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
            try { await Task.Delay(options.MaintenanceInterval * jitter, time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
