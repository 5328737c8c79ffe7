using Conveyor.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Server.Hosting;

/// <summary>
/// Stores the schedules of the configuration (<see cref="ServerOptions.Schedules"/>) when the broker
/// starts, through <see cref="TaskEngine.ScheduleUpsert"/>: a schedule whose timing is unchanged keeps its
/// next run, so restarting brokers (or several brokers with the same configuration) neither repeat nor
/// skip a tick. A schedule edited through the API is set back to its configured definition at the next
/// start; one removed from the configuration stays until deleted through the API or the CLI. While the
/// store is unreachable it tries again every few seconds.
/// </summary>
internal sealed class ConfiguredSchedules(TaskEngine engine, ServerOptions options, TimeProvider time, ILogger<ConfiguredSchedules> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var left = options.Schedules.ToList();
        while (left.Count > 0 && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (s, created) = await engine.ScheduleUpsert(left[0], stoppingToken).ConfigureAwait(false);
                log.LogInformation("Schedule {Name} from configuration {Action}; next run {Next}", s.Name, created ? "created" : "stored", s.NextRunAt);
                left.RemoveAt(0);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not ConveyorValidationException)
            {
                log.LogWarning("Could not store the configured schedule {Name} yet ({Error}); trying again in 5 s", left[0].Name, e.Message);
                try { await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
