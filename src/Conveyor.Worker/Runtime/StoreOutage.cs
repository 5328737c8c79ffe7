using Conveyor.Store;
using Conveyor.Gateway;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// The store (or the broker's store: a 503 <c>unavailable</c>) not answering is an episode with one
/// line at its start and one at its end, however many leases and heartbeats fail in between: the
/// loops keep retrying on their own. Shared by the lease loop and the heartbeat. Thread-safe.
/// </summary>
internal sealed class StoreOutage(ILogger logger)
{
    private int _open;
    private LogLevel _level;

    /// <summary>True when <paramref name="ex"/> is the store being unreachable (logged once per episode).</summary>
    public bool Observe(Exception ex)
    {
        if (!StoreUnreachableException.IsUnreachable(ex) && ex is not IGatewayRefusal { Status: 503 }) return false;
        // A store this process opened logs its own episode (one line); a broker's 503 is the worker's to tell.
        var level = ex is IGatewayRefusal ? LogLevel.Warning : LogLevel.Debug;
        if (Interlocked.Exchange(ref _open, 1) == 0)
        {
            _level = level;
            logger.Log(level, "the store is unreachable ({Reason}); the worker keeps trying and leases again once it answers", StoreUnreachableException.Brief(ex));
        }
        return true;
    }

    /// <summary>A call went through: ends the episode (logs once).</summary>
    public void Answered()
    {
        if (Volatile.Read(ref _open) == 1 && Interlocked.Exchange(ref _open, 0) == 1)
            logger.Log(_level == LogLevel.Warning ? LogLevel.Information : LogLevel.Debug, "the store answers again; the worker is leasing");
    }
}
