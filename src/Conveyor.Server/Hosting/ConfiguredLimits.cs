using Conveyor.Engine;
using Conveyor.Limits;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Server.Hosting;

/// <summary>A limit of the configuration (<c>Limits:&lt;queue&gt;:&lt;name&gt;:…</c>) and the queue it bounds.</summary>
public sealed record ConfiguredQueueLimit(string Queue, QueueLimit Limit)
{
    /// <summary>Its configuration key, for messages.</summary>
    public string ConfigKey => $"Limits:{Queue}:{Limit.Name}";
}

/// <summary>
/// Stores the limits of the configuration (<see cref="ServerOptions.Limits"/>) when the broker starts,
/// through <see cref="TaskEngine.QueueLimitSet"/>, before it serves: setting a limit to the definition it
/// has keeps its counts, so restarting brokers (or several brokers with the same configuration) change
/// nothing. A limit edited through the API is set back to its configured definition at the next start;
/// one removed from the configuration stays until deleted through the API or the CLI. A limit the store
/// refuses (a queue with the most limits already) stops the start with its key named;
/// while the store is unreachable the broker starts anyway and tries again every 5 s.
/// </summary>
internal sealed class ConfiguredLimits(TaskEngine engine, ServerOptions options, TimeProvider time, ILogger<ConfiguredLimits> log) : BackgroundService
{
    private readonly List<ConfiguredQueueLimit> _left = [.. options.Limits];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await StoreLeft(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (_left.Count > 0 && !stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            try { await StoreLeft(stoppingToken).ConfigureAwait(false); }
            catch (ConveyorValidationException e) { log.LogError("Configured limit {Key} refused by the store: {Error}", _left[0].ConfigKey, e.Message); _left.RemoveAt(0); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
        }
    }

    /// <summary>Stores the limits not stored yet; stops at the first store failure (tried again later).</summary>
    private async Task StoreLeft(CancellationToken ct)
    {
        while (_left.Count > 0)
        {
            var c = _left[0];
            try
            {
                await engine.QueueLimitSet(c.Queue, c.Limit, ct).ConfigureAwait(false);
            }
            catch (ConveyorValidationException e)
            {
                throw new ConveyorValidationException(e.Errors.Select(x => new ValidationError(c.ConfigKey, x.Message)).ToList());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning("Could not store the configured limit {Key} yet ({Error}); trying again in 5 s", c.ConfigKey, e.Message);
                return;
            }
            log.LogInformation("Limit {Key} from configuration stored ({Limit})", c.ConfigKey, c.Limit);
            _left.RemoveAt(0);
        }
    }
}
