using System.Collections.Concurrent;
using System.Text;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Conveyor.RabbitMq;

// The lease: take messages, write the leases in the records, then acknowledge the messages.
public sealed partial class RabbitMqTaskDelivery
{
    private TaskCompletionSource _scheduleChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task became scheduled somewhere (the records' events): a waiting lease recomputes when to wake.</summary>
    private void OnRecordEvent(TaskEvent e)
    {
        if (e.State == TaskState.Scheduled)
            Interlocked.Exchange(ref _scheduleChanged, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// Per queue in order: promote due tasks and publish the outbox, then take up to Max messages
    /// (basic.get; no more than the free slots asked for) and lease their tasks in the records. When
    /// none was leased, waits up to Wait with a consumer on every unpaused queue, prefetch bounded by
    /// Max, woken by the first message, by a timer to the next due scheduled task, by a task becoming
    /// scheduled (the records' events) or by the records' wake-up of the queue (a resume); never by a
    /// polling sleep.
    /// </summary>
    public async ValueTask<IReadOnlyList<LeasedTask>> TaskLease(TaskLeaseParams request, CancellationToken ct = default)
    {
        var deadline = _time.GetUtcNow() + request.Wait;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var scheduleChanged = Volatile.Read(ref _scheduleChanged).Task;
            // Armed before looking: a resume (or new work) in the records wakes the wait below.
            var wakes = new List<Task>(request.Wait > TimeSpan.Zero ? request.Queues.Count + 1 : 0) { scheduleChanged };
            if (request.Wait > TimeSpan.Zero)
                foreach (var queue in request.Queues) wakes.Add(await _records.LeaseWakeArm(queue, ct).ConfigureAwait(false));
            var open = new List<string>(request.Queues.Count);
            DateTimeOffset? nextDue = null;
            foreach (var queue in request.Queues)
            {
                var (_, paused, due) = await Publish(queue, ct, orLast: true).ConfigureAwait(false);
                if (!paused) open.Add(queue);
                if (due is { } d && (nextDue is null || d < nextDue)) nextDue = d;
            }
            var leased = await LeaseAvailable(request, open, ct).ConfigureAwait(false);
            if (leased.Count > 0 || request.Wait <= TimeSpan.Zero) return leased;

            var now = _time.GetUtcNow();
            var remaining = deadline - now;
            if (remaining <= TimeSpan.Zero) return leased;
            if (nextDue is { } due2 && due2 - now < remaining)
                remaining = due2 - now < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : due2 - now;
            leased = await WaitForDelivery(request, open, remaining, Task.WhenAny(wakes), ct).ConfigureAwait(false);
            if (leased.Count > 0 || _closing.IsCancellationRequested) return leased;
        }
    }

    private async Task<List<LeasedTask>> LeaseAvailable(TaskLeaseParams request, List<string> open, CancellationToken ct)
    {
        var leased = new List<LeasedTask>();
        if (open.Count == 0) return leased;
        var ch = await Rent(ct).ConfigureAwait(false);
        try
        {
            foreach (var queue in open)
            {
                await Declare(queue).ConfigureAwait(false);
                while (leased.Count < request.Max)
                {
                    var got = new List<(ulong Tag, string Id)>();
                    while (leased.Count + got.Count < request.Max)
                    {
                        var r = await ch.BasicGetAsync(QueueName(queue), autoAck: false, ct).ConfigureAwait(false);
                        if (r is null) break;
                        got.Add((r.DeliveryTag, Encoding.UTF8.GetString(r.Body.Span)));
                    }
                    if (got.Count == 0) break;
                    if (!await LeaseMessages(ch, queue, got, request, leased, ct).ConfigureAwait(false)) break; // paused meanwhile
                }
            }
            Return(ch);
        }
        catch
        {
            await Discard(ch).ConfigureAwait(false); // hands what it holds back to RabbitMQ
            throw;
        }
        return leased;
    }

    /// <summary>
    /// Leases the messages' tasks in the records, then acknowledges every message: a leased one is now a
    /// record, a spent one (its task not ready) has nothing left to deliver. Returns false, after handing
    /// the messages back, when the queue was paused meanwhile.
    /// </summary>
    private async Task<bool> LeaseMessages(IChannel ch, string queue, List<(ulong Tag, string Id)> messages, TaskLeaseParams request, List<LeasedTask> leased, CancellationToken ct)
    {
        var answer = await _records.TaskLeaseByIds(new TaskLeaseByIdsParams(queue, [.. messages.Select(m => m.Id)], request.WorkerId, request.LeaseDuration), ct).ConfigureAwait(false);
        var last = messages.Max(m => m.Tag);
        if (answer.Paused)
        {
            await ch.BasicNackAsync(last, multiple: true, requeue: true, CancellationToken.None).ConfigureAwait(false);
            return false;
        }
        foreach (var l in answer.Leased) if (l is not null) leased.Add(l);
        try { await ch.BasicAckAsync(last, multiple: true, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The leases are written; RabbitMQ hands the messages out again and they are spent then.
            _log.LogWarning("RabbitMQ did not take the acknowledgement of {Count} leased messages: {Error}", messages.Count, e.Message);
        }
        return true;
    }

    private async Task<List<LeasedTask>> WaitForDelivery(TaskLeaseParams request, List<string> open, TimeSpan timeout, Task woken, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _closing.Token);
        var delay = Task.Delay(timeout, _time, stop.Token);
        if (open.Count == 0)
        {
            await Task.WhenAny(delay, woken).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            return [];
        }

        foreach (var queue in open) await Declare(queue).ConfigureAwait(false);
        var ch = await _connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        var leased = new List<LeasedTask>();
        try
        {
            await ch.BasicQosAsync(0, (ushort)Math.Clamp(request.Max, 1, ushort.MaxValue), global: true, ct).ConfigureAwait(false);
            var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var got = new ConcurrentQueue<(string Queue, ulong Tag, string Id)>();
            ch.ChannelShutdownAsync += (_, _) => { arrived.TrySetResult(); return Task.CompletedTask; };
            var tags = new List<string>(open.Count);
            foreach (var queue in open)
            {
                var consumer = new AsyncEventingBasicConsumer(ch);
                consumer.ReceivedAsync += (_, ea) =>
                {
                    got.Enqueue((queue, ea.DeliveryTag, Encoding.UTF8.GetString(ea.Body.Span)));
                    arrived.TrySetResult();
                    return Task.CompletedTask;
                };
                tags.Add(await ch.BasicConsumeAsync(QueueName(queue), autoAck: false, consumer, ct).ConfigureAwait(false));
            }
            await Task.WhenAny(arrived.Task, delay, woken).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            foreach (var tag in tags)
            {
                try { await ch.BasicCancelAsync(tag, noWait: false, CancellationToken.None).ConfigureAwait(false); }
                catch (Exception) { break; } // the channel is gone: what it held went back to RabbitMQ
            }
            if (!ch.IsOpen) return leased;
            var messages = got.ToList();
            foreach (var queue in open)
            {
                var mine = messages.Where(m => m.Queue == queue).Select(m => (m.Tag, m.Id)).ToList();
                if (mine.Count == 0) continue;
                var room = request.Max - leased.Count;
                if (room <= 0) break; // the rest go back when the channel closes
                await LeaseDelivered(ch, queue, mine.Take(room).ToList(), request, leased, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            await Discard(ch).ConfigureAwait(false); // every message it still holds goes back to its queue
        }
        return leased;
    }

    /// <summary>As <see cref="LeaseMessages"/>, acknowledging each message on its own (they came from several consumers).</summary>
    private async Task LeaseDelivered(IChannel ch, string queue, List<(ulong Tag, string Id)> messages, TaskLeaseParams request, List<LeasedTask> leased, CancellationToken ct)
    {
        var answer = await _records.TaskLeaseByIds(new TaskLeaseByIdsParams(queue, [.. messages.Select(m => m.Id)], request.WorkerId, request.LeaseDuration), ct).ConfigureAwait(false);
        if (answer.Paused) return; // handed back when the channel closes
        foreach (var l in answer.Leased) if (l is not null) leased.Add(l);
        foreach (var (tag, _) in messages)
        {
            try { await ch.BasicAckAsync(tag, multiple: false, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("RabbitMQ did not take the acknowledgement of a leased message: {Error}", e.Message);
                return;
            }
        }
    }
}
