namespace Conveyor.Model;

public enum BackoffKind
{
    /// <summary>base * factor^(attempt-1), capped, with full jitter: a uniform delay in [0, that].</summary>
    Exponential,
    /// <summary>Always <see cref="BackoffPolicy.Base"/>.</summary>
    Fixed,
    /// <summary>Retry at once.</summary>
    None,
}

/// <summary>
/// How long a failed attempt waits before the next one. The default is exponential with full jitter
/// (base 1 s, factor 2, cap 1 h): the "Full Jitter" scheme, which spreads a thundering herd of
/// retries evenly instead of letting them collide again.
/// </summary>
public sealed record BackoffPolicy(BackoffKind Kind, TimeSpan Base, double Factor, TimeSpan Cap)
{
    public static BackoffPolicy Default { get; } = new(BackoffKind.Exponential, TimeSpan.FromSeconds(1), 2.0, TimeSpan.FromHours(1));
    public static BackoffPolicy None { get; } = new(BackoffKind.None, TimeSpan.Zero, 1.0, TimeSpan.Zero);
    public static BackoffPolicy FixedDelay(TimeSpan delay) => new(BackoffKind.Fixed, delay, 1.0, delay);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7);

    /// <summary>
    /// The delay before attempt <paramref name="failedAttempt"/>+1, given a uniform random number in [0, 1).
    /// Pure: stores pass their own random value so the rule is the same in every store (and testable).
    /// </summary>
    public TimeSpan DelayAfter(int failedAttempt, double random01)
    {
        switch (Kind)
        {
            case BackoffKind.None:
                return TimeSpan.Zero;
            case BackoffKind.Fixed:
                return Base;
            default:
                var exponent = Math.Max(0, failedAttempt - 1);
                var ceilingSeconds = Math.Min(Cap.TotalSeconds, Base.TotalSeconds * Math.Pow(Factor, Math.Min(exponent, 64)));
                if (double.IsNaN(ceilingSeconds) || ceilingSeconds < 0) ceilingSeconds = Cap.TotalSeconds;
                return TimeSpan.FromSeconds(ceilingSeconds * Math.Clamp(random01, 0, 1));
        }
    }

    /// <summary>Null when valid; otherwise why not.</summary>
    public string? Validate()
    {
        if (Base < TimeSpan.Zero || Base > MaxDelay) return $"backoff.base must be between 0 and {MaxDelay.TotalSeconds} seconds";
        if (Cap < TimeSpan.Zero || Cap > MaxDelay) return $"backoff.max must be between 0 and {MaxDelay.TotalSeconds} seconds";
        if (Kind == BackoffKind.Exponential && (double.IsNaN(Factor) || Factor < 1 || Factor > 100)) return "backoff.factor must be between 1 and 100";
        return null;
    }
}
