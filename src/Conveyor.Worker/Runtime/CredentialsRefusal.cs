using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// A token the broker stops accepting (revoked, or the broker restarted with other tokens) is an
/// expected condition, not a bug: the worker says so in one line when it begins and one line when it
/// ends, whichever loop (lease, heartbeat, renewal) meets it, and the lease loop backs off to
/// <see cref="Delays"/> instead of retrying every quarter second.
/// </summary>
internal sealed class CredentialsRefusal(ILogger logger)
{
    /// <summary>The lease loop's waits while refused: the next try after 5 s, then 15 s, then every 30 s.</summary>
    public static readonly TimeSpan[] Delays = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30)];

    private int _refused;

    public bool Refused => Volatile.Read(ref _refused) == 1;

    /// <summary>True when <paramref name="ex"/> is a refusal of the token; logs the first one of an episode.</summary>
    public bool Observe(Exception ex)
    {
        if (!TransportErrors.IsCredentialsRefusal(ex)) return false;
        if (Interlocked.Exchange(ref _refused, 1) == 0)
            logger.LogError("the broker refused this worker's token ({Reason}): no tasks are leased until it is accepted again; retrying every {Delay}s at most",
                ex.Message, Delays[^1].TotalSeconds);
        return true;
    }

    /// <summary>A call went through: ends a refusal episode (one line).</summary>
    public void Accepted()
    {
        if (Volatile.Read(ref _refused) == 1 && Interlocked.Exchange(ref _refused, 0) == 1)
            logger.LogInformation("the broker accepts this worker's token again; leasing resumes");
    }
}
