using System.Collections.Concurrent;
using System.Text;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Conveyor.RabbitMq;

// Enqueue and the outbox: records first (the outbox is written with them), then publish with confirms.
public sealed partial class RabbitMqTaskDelivery
{
    /// <summary>What the last finished sweep of each queue learnt: paused, and the next due scheduled task.</summary>
    private readonly ConcurrentDictionary<string, (bool Paused, DateTimeOffset? NextDue)> _lastSweep = new(StringComparer.Ordinal);

    /// <summary>
    /// Writes the records (each new pending task enters the outbox in that write), then publishes the
    /// outbox of each queue touched and answers only once RabbitMQ confirmed. When RabbitMQ does not
    /// confirm, the answer is "outcome unknown" (HTTP 500): the tasks are recorded and the outbox sweep
    /// publishes them once RabbitMQ is back.
    /// </summary>
    public async ValueTask<IReadOnlyList<EnqueueResult>> TaskEnqueueMany(IReadOnlyList<TaskRecord> tasks, CancellationToken ct = default)
    {
        var results = await _records.TaskEnqueueMany(tasks, ct).ConfigureAwait(false);
        var queues = results.Where(r => r.Created && r.Task.State == TaskState.Pending).Select(r => r.Task.Queue).Distinct(StringComparer.Ordinal);
        foreach (var queue in queues)
        {
            try { await Publish(queue, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new StoreFailedException($"RabbitMQ did not confirm the publish to {QueueName(queue)} ({e.Message}): the tasks are recorded, and the outbox delivers them once RabbitMQ is back", outcomeUnknown: true, e);
            }
        }
        return results;
    }

    /// <summary>Publishes every queue's outbox (maintenance; after a redrive or a retry now). Returns how many were published.</summary>
    public async ValueTask<int> OutboxSweep(CancellationToken ct = default)
    {
        var published = 0;
        foreach (var queue in await _records.OutboxQueues(ct).ConfigureAwait(false))
        {
            try { published += (await Publish(queue, ct).ConfigureAwait(false)).Published; }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("Outbox sweep of queue {Queue} stopped: {Error}; the next sweep tries again", queue, e.Message);
            }
        }
        return published;
    }

    /// <summary>
    /// Promotes the queue's due tasks and publishes its outbox, in rounds of <see cref="RabbitMqStoreOptions.OutboxBatch"/>:
    /// publish each (persistent, with the task's priority), wait for every confirm, then mark the round
    /// confirmed in the records. One round at a time per queue in this process (other processes may
    /// publish the same entries: a duplicate message finds its task running and is spent).
    /// </summary>
    /// <param name="orLast">
    /// A lease's sweep: when another sweep of the queue is running in this process (it promotes and
    /// publishes the same outbox), answer what the last finished sweep learnt instead of queueing behind it.
    /// </param>
    private async Task<(int Published, bool Paused, DateTimeOffset? NextDue)> Publish(string queue, CancellationToken ct, bool orLast = false)
    {
        var gate = _publishLocks.GetOrAdd(queue, _ => new SemaphoreSlim(1, 1));
        if (orLast && _lastSweep.TryGetValue(queue, out var last))
        {
            if (!await gate.WaitAsync(0, ct).ConfigureAwait(false)) return (0, last.Paused, last.NextDue);
        }
        else await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var published = 0;
            while (true)
            {
                var batch = await _records.OutboxTake(queue, _options.OutboxBatch, ct).ConfigureAwait(false);
                _lastSweep[queue] = (batch.Paused, batch.NextDue);
                if (batch.Ready.Count == 0) return (published, batch.Paused, batch.NextDue);
                await Declare(queue).ConfigureAwait(false);
                var ch = await Rent(ct).ConfigureAwait(false);
                try
                {
                    var name = QueueName(queue);
                    var confirms = new List<ValueTask>(batch.Ready.Count);
                    // Best first (priority, then FIFO: the sort is stable over the round's seq order): a
                    // consumer already waiting (TaskLease's WaitForDelivery) takes the first message that
                    // arrives, before RabbitMQ's priority queue can order the round's later ones ahead of it,
                    // so a waiting leaser is handed the best task of a batch, as a lease would have taken.
                    foreach (var e in batch.Ready.OrderByDescending(static e => e.Priority))
                    {
                        var props = new BasicProperties
                        {
                            Persistent = true,
                            Priority = (byte)Math.Clamp(e.Priority, 0, 9),
                            MessageId = e.TaskId,
                            ContentType = "text/plain",
                        };
                        confirms.Add(ch.BasicPublishAsync("", name, mandatory: true, props, Encoding.UTF8.GetBytes(e.TaskId), ct));
                    }
                    foreach (var c in confirms) await c.ConfigureAwait(false);
                    Return(ch);
                }
                catch
                {
                    await Discard(ch).ConfigureAwait(false);
                    throw;
                }
                await _records.OutboxConfirm(queue, batch.Ready[^1].Seq, ct).ConfigureAwait(false);
                published += batch.Ready.Count;
                if (batch.Ready.Count < _options.OutboxBatch) return (published, batch.Paused, batch.NextDue);
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
