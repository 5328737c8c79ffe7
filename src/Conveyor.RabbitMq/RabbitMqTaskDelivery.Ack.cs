using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.RabbitMq;

// Acknowledgements are record transitions, fenced by the lease token in the records: the message was
// acknowledged to RabbitMQ when the lease was written. A retry waits in the records (scheduled) and is
// published when due; a release goes into the outbox in the same write and is published at once.
public sealed partial class RabbitMqTaskDelivery
{
    public ValueTask<IReadOnlyList<AckResult>> TaskCompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default) =>
        _records.TaskCompleteMany(items, ct);

    public ValueTask<IReadOnlyList<AckResult>> TaskFailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default) =>
        _records.TaskFailMany(items, ct);

    public ValueTask<IReadOnlyList<LeaseExtendResult>> LeaseExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default) =>
        _records.LeaseExtendMany(items, ct);

    public async ValueTask<IReadOnlyList<AckResult>> TaskReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default)
    {
        var results = await _records.OutboxRelease(items, ct).ConfigureAwait(false);
        foreach (var queue in items.Select(i => QueueOfToken(i.LeaseToken)).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            try { await Publish(queue, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("Released tasks of {Queue} wait in the outbox: {Error}", queue, e.Message);
            }
        }
        return results;
    }

    /// <summary>The records' lease token starts with its queue ("&lt;queue&gt;/&lt;nonce&gt;.&lt;n&gt;").</summary>
    private static string? QueueOfToken(string token) => token.IndexOf('/', StringComparison.Ordinal) is > 0 and var i ? token[..i] : null;

    /// <summary>A paused queue keeps its messages in RabbitMQ; no lease consumes from it (the flag is a record).</summary>
    public ValueTask QueuePause(string queue, CancellationToken ct = default) => _records.QueuePause(queue, ct);

    public ValueTask QueueResume(string queue, CancellationToken ct = default) => _records.QueueResume(queue, ct);
}
