namespace Conveyor.Store;

/// <summary>
/// The store did not answer in time or could not be reached (a network partition, a Redis that is down
/// or restarting). Raised after a bounded wait (Redis: <c>RedisStoreOptions.CommandTimeout</c>), never
/// a hang. <see cref="OutcomeUnknown"/> tells the two cases apart:
/// <list type="bullet">
/// <item>false: the command was never sent (no connection): nothing was stored. The server answers
/// 503 <c>unavailable</c>, a refusal the client may retry.</item>
/// <item>true: the command was sent and its answer did not come back: it may or may not have been
/// applied. The server answers 504 <c>store-timeout</c> (the client must treat the outcome as unknown;
/// a retry with the same idempotency key is safe).</item>
/// </list>
/// </summary>
public sealed class StoreUnreachableException(string message, bool outcomeUnknown, Exception? inner = null) : Exception(message, inner)
{
    public bool OutcomeUnknown { get; } = outcomeUnknown;
}
