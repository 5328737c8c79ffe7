using System.Diagnostics;
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
    private long _lastTrip;
    private long _lastWarned;

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
        // One warning per episode: a trip soon after a half-open retry is the same outage.
        var now = Stopwatch.GetTimestamp();
        if (Interlocked.Exchange(ref _lastTrip, now) == 0 || Stopwatch.GetElapsedTime(_lastWarned) > TimeSpan.FromMinutes(1))
        {
            _lastWarned = now;
            logger.LogWarning("Redis does not answer: {Reason}; refusing store commands at once until it answers a PING again", why.Message);
        }
        _ = Probe();
    }

    private async Task Probe()
    {
        var opened = Stopwatch.GetTimestamp();
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
            catch (Exception e)
            {
                // Still away (any failure of the probe: it must never end with the circuit left open).
                // Half-open after a while: the connection a PING rides on can stay wedged after a silent
                // partition heals, so let commands through again; one that gets no answer trips it anew.
                logger.LogDebug(e, "Redis PING probe failed");
                if (Stopwatch.GetElapsedTime(opened) >= HalfOpenAfter)
                {
                    Volatile.Write(ref _open, 0);
                    logger.LogDebug("Redis circuit half-open after {Seconds} s: store commands are sent again", HalfOpenAfter.TotalSeconds);
                    return;
                }
            }
        }
    }

    /// <summary>How long the circuit stays open without an answered PING before commands may try again.</summary>
    public static readonly TimeSpan HalfOpenAfter = TimeSpan.FromSeconds(10);
}
