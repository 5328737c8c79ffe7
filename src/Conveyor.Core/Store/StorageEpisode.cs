using Microsoft.Extensions.Logging;

namespace Conveyor.Store;

/// <summary>
/// One warning when a store starts refusing writes for want of room, one line when it accepts them
/// again, and nothing in between: a full disk must not cost a stack trace per request. Thread-safe.
/// </summary>
public sealed class StorageEpisode(ILogger logger, string what)
{
    private int _open;

    /// <summary>True while writes are being refused (between <see cref="Enter"/> and <see cref="Leave"/>).</summary>
    public bool IsOpen => Volatile.Read(ref _open) == 1;

    /// <summary>A refusal: logs once per episode, with the store's own reason.</summary>
    public void Enter(string reason)
    {
        if (Interlocked.Exchange(ref _open, 1) == 0)
            logger.LogWarning("{What} refuses writes: {Reason}. Submissions answer 507 until room is made; this is logged once per episode", what, reason);
    }

    /// <summary>A write went through: ends the episode (logs once).</summary>
    public void Leave()
    {
        if (Volatile.Read(ref _open) == 1 && Interlocked.Exchange(ref _open, 0) == 1)
            logger.LogInformation("{What} accepts writes again", what);
    }
}
