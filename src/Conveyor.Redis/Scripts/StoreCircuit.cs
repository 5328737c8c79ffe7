using Conveyor.Store;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis.Scripts;

/// <summary>
/// Fails fast while Redis does not answer. A silent partition (packets dropped, no reset) leaves the
/// client's connection looking alive, so every command would be sent and wait out the whole command
/// timeout, answering "outcome unknown" each time. After the first command that got no answer in time
/// the circuit opens: scripts are refused at once, before anything is sent (503, nothing stored), and
/// a PING is tried every <see cref="ProbeEvery"/>; the first one answered closes the circuit. One
/// warning when it opens, one line when it closes.
/// </summary>
internal sealed class StoreCircuit(IConnectionMultiplexer mux, ILogger logger, int database)
{
    public static readonly TimeSpan ProbeEvery = TimeSpan.FromMilliseconds(500);

    private int _open;

    public bool IsOpen => Volatile.Read(ref _open) == 1;

    /// <summary>Refuses before sending while the circuit is open.</summary>
    public void ThrowIfOpen()
    {
        if (IsOpen)
            throw new StoreUnreachableException("Redis did not answer in time; refused without sending until it answers again", outcomeUnknown: false);
    }

    /// <summary>A command was sent and got no answer in time: open, and probe until Redis answers.</summary>
    public void Trip(StoreUnreachableException why)
    {
        if (Interlocked.CompareExchange(ref _open, 1, 0) != 0) return;
        logger.LogWarning("Redis does not answer: {Reason}; refusing store commands at once until it answers a PING again", why.Message);
        _ = Probe();
    }

    private async Task Probe()
    {
        while (true)
        {
            await Task.Delay(ProbeEvery).ConfigureAwait(false);
            try
            {
                await mux.GetDatabase(database).PingAsync().ConfigureAwait(false);
                Volatile.Write(ref _open, 0);
                logger.LogInformation("Redis answers again; store commands are sent again");
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the store was closed
            }
            catch (Exception e) when (e is RedisException or TimeoutException or TaskCanceledException)
            {
                // still away: try again
            }
        }
    }
}
