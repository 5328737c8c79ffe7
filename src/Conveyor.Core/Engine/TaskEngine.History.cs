using Conveyor.Store;

namespace Conveyor.Engine;

public sealed partial class TaskEngine
{
    /// <summary>
    /// The last <paramref name="minutes"/> minutes (1..<see cref="HistoryListParams.MaxMinutes"/>) of one
    /// queue, or of all when <paramref name="queue"/> is null: one bucket per minute, oldest first, the
    /// last one the current (still filling) minute.
    /// </summary>
    public ValueTask<IReadOnlyList<HistoryBucket>> HistoryList(string? queue, int minutes, CancellationToken ct = default)
    {
        var errors = new List<ValidationError>();
        if (queue is not null && Names.CheckQueue(queue) is { } e) errors.Add(new("queue", e));
        if (minutes is < 1 or > HistoryListParams.MaxMinutes)
            errors.Add(new("minutes", $"minutes must be between 1 and {HistoryListParams.MaxMinutes}; got {minutes}"));
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
        var to = HistoryMinutes.Of(Time.GetUtcNow()) + 1;
        return Records.HistoryList(new HistoryListParams(queue, HistoryMinutes.Start(to - minutes), HistoryMinutes.Start(to)), ct);
    }
}
