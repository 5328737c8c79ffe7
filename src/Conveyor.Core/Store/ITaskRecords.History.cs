namespace Conveyor.Store;

public partial interface ITaskRecords
{
    /// <summary>
    /// Succeeded and failed attempts per minute, of one queue or of all (<see cref="HistoryListParams.Queue"/>
    /// null), one bucket per minute from From (inclusive) to To (exclusive), oldest first, minutes without
    /// any outcome as zeros. The counts are written by the transition that causes them (in the same
    /// transaction / script): a completion counts as succeeded; every failed attempt counts as failed,
    /// whether it is retried, dead, or a lease that expired in maintenance. Kept at least
    /// <see cref="HistoryListParams.Keep"/>, across restarts. An unknown queue answers zeros.
    /// </summary>
    ValueTask<IReadOnlyList<HistoryBucket>> HistoryList(HistoryListParams request, CancellationToken ct = default);
}
