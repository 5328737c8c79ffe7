namespace Conveyor.Store;

/// <summary>
/// The store met an I/O error it cannot vouch past (a failed fsync under SQLite) and fails closed:
/// it acknowledges nothing more until it is restarted. <see cref="OutcomeUnknown"/> is true for the
/// writes of the batch whose sync failed (they may or may not be on disk: the server answers 500
/// <c>store-failed</c>); false for every write after it, refused before anything was written (503).
/// </summary>
public sealed class StoreFailedException(string message, bool outcomeUnknown, Exception? inner = null) : Exception(message, inner)
{
    public bool OutcomeUnknown { get; } = outcomeUnknown;
}
