namespace Conveyor.Store;

public partial interface IStorePart
{
    /// <summary>
    /// Whether the store can take work now, and if not, why (for <c>/readyz</c> and the maintenance
    /// loop's periodic check): unreachable, a Redis eviction policy that can drop tasks, a full disk.
    /// Cheap enough to call every second: a store caches what is costly to learn (Redis re-reads its
    /// eviction policy at most every <see cref="StoreReadiness.PolicyRecheck"/>). The default answers
    /// from <see cref="Ping"/> alone, for a store that knows no other condition.
    /// </summary>
    async ValueTask<StoreReadiness> StoreReadinessCheck(CancellationToken ct = default) =>
        await Ping(ct).ConfigureAwait(false) ? StoreReadiness.Ready : StoreReadiness.Unreachable($"{Name} did not answer");
}
