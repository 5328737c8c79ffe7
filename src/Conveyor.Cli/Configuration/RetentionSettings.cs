namespace Conveyor.Cli.Configuration;

/// <summary>
/// <c>Retention</c>: how long a broker keeps terminal tasks while the store holds no policy of its own
/// (one set with <c>conveyor retention set</c> wins). The rules are one string in the grammar of
/// <c>--retention</c> (<c>succeeded=1h,failed=30d,emails:succeeded=10m,succeeded=/1000</c>), so a rule
/// for a queue needs no key of its own; checked at start, a bad rule is named with its key and value.
/// </summary>
internal sealed class RetentionSettings
{
    /// <summary>Per state, optionally per queue, by age and count (the <c>--retention</c> grammar). Unset: none.</summary>
    public string? Rules { get; set; }

    /// <summary>At most this many tasks kept per queue and terminal state (the newest). Unset: no count limit.</summary>
    public long? MaxCount { get; set; }

    /// <summary>How long a terminal task is kept when no rule names its state (default 7 days).</summary>
    public TimeSpan? DefaultMaxAge { get; set; }
}
