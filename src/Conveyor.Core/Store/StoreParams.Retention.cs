using Conveyor.Retention;

namespace Conveyor.Store;

/// <summary>One maintenance run: the retention rules to apply, and how many tasks it may delete at most.</summary>
public sealed record MaintenanceRunParams(RetentionPolicy Retention)
{
    public const int DefaultRetentionLimit = 10_000;

    /// <summary>At most this many terminal tasks deleted by one run (1..100,000).</summary>
    public int RetentionLimit { get; init; } = DefaultRetentionLimit;
}
