namespace Conveyor.Store;

/// <summary>Why a store is not ready. The wire names (<see cref="StoreReadiness.Reason"/>) are stable.</summary>
public enum StoreCondition
{
    Ready,
    /// <summary>The store does not answer (Redis down or partitioned away).</summary>
    Unreachable,
    /// <summary>Redis may evict keys (a <c>maxmemory-policy</c> other than <c>noeviction</c>): acknowledged tasks could vanish.</summary>
    EvictionPolicy,
    /// <summary>The disk under a SQLite file is full: writes are refused until space frees.</summary>
    DiskFull,
}

/// <summary>What <see cref="ITaskStore.StoreReadinessCheck"/> answers: a condition, and a sentence for an operator.</summary>
public sealed record StoreReadiness(StoreCondition Condition, string? Detail = null)
{
    /// <summary>How often a store re-reads a setting that is costly to read (the Redis eviction policy).</summary>
    public static readonly TimeSpan PolicyRecheck = TimeSpan.FromSeconds(5);

    public static readonly StoreReadiness Ready = new(StoreCondition.Ready);

    public static StoreReadiness Unreachable(string detail) => new(StoreCondition.Unreachable, detail);

    public bool IsReady => Condition == StoreCondition.Ready;

    /// <summary>The stable wire name: <c>store_unreachable</c>, <c>eviction_policy</c>, <c>disk_full</c>; null when ready.</summary>
    public string? Reason => Condition switch
    {
        StoreCondition.Unreachable => "store_unreachable",
        StoreCondition.EvictionPolicy => "eviction_policy",
        StoreCondition.DiskFull => "disk_full",
        _ => null,
    };
}
