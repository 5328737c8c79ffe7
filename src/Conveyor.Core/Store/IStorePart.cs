namespace Conveyor.Store;

/// <summary>
/// What every part of the storage seam (<see cref="ITaskDelivery"/>, <see cref="ITaskRecords"/>,
/// <see cref="IWorkerRegistry"/>) answers about itself: its name and whether it is reachable.
/// </summary>
public partial interface IStorePart : IAsyncDisposable
{
    /// <summary>Short name for logs and bench output: "sqlite", "redis".</summary>
    string Name { get; }

    /// <summary>Whether the store is reachable (for /readyz).</summary>
    ValueTask<bool> Ping(CancellationToken ct = default);
}
