using Conveyor.Model;

namespace Conveyor.Engine;

/// <summary>
/// Concurrent single submissions share one store round trip (issue 15), the way the SQLite writer's
/// group commit shares one fsync. No timer and no wait: a caller that finds fewer than
/// <c>maxInFlight</c> calls in flight goes at once, alone; callers that arrive while that many are in
/// flight are gathered and sent together as the next call, the moment one in flight returns. So a
/// lone caller pays nothing, and sixteen callers pay one script call (Redis) or one write operation
/// (SQLite) per few submissions instead of one each. One in flight by default: two (one batch in the
/// store while the next gathers) looked better on paper, but in the one comparison made (bench/peers,
/// three runs each on a busy machine, docs/performance.md) one in flight gave 0.125 calls per task and
/// a median 40k single enqueues/s against two's 0.22 and 22k.
/// <para>
/// Outcomes stay per submission: the store answers a batch item by item, in order (a repeated
/// idempotency key inside one batch gets the first holder, as across batches), and each caller gets
/// its own item. A store failure fails every submission of the call that failed, and only those.
/// A caller cancelled while gathered is taken out before anything is sent, so it stored nothing; once
/// sent, it waits for the store's answer like any caller of a call in flight.
/// </para>
/// </summary>
internal sealed class EnqueueCoalescer(
    Func<IReadOnlyList<TaskRecord>, CancellationToken, ValueTask<IReadOnlyList<EnqueueResult>>> send,
    int maxBatch = EnqueueCoalescer.DefaultMaxBatch,
    int maxInFlight = EnqueueCoalescer.DefaultMaxInFlight)
{
    /// <summary>Store calls the single-submission path keeps in flight at once (see the class summary).</summary>
    public const int DefaultMaxInFlight = 1;

    /// <summary>At most this many gathered submissions go in one call (more wait for the next one).</summary>
    public const int DefaultMaxBatch = 500;

    private readonly Lock _gate = new();
    private List<Gathered> _gathered = [];
    private int _inFlight;
    private long _calls;

    /// <summary>Store calls made so far (a lone caller's call or a gathered batch): what the tests count.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    public async ValueTask<IReadOnlyList<EnqueueResult>> Enqueue(TaskRecord record, CancellationToken ct)
    {
        Gathered? waiter = null;
        lock (_gate)
        {
            if (_inFlight >= maxInFlight)
            {
                waiter = new Gathered(record);
                _gathered.Add(waiter);
            }
            else _inFlight++;
        }
        if (waiter is not null)
        {
            // Cancelled before it was sent: taken out, so it stores nothing.
            await using (ct.Register(static (s, token) => { var (self, w) = ((EnqueueCoalescer, Gathered))s!; self.Cancel(w, token); }, (this, waiter)).ConfigureAwait(false))
                return [await waiter.Task.ConfigureAwait(false)];
        }

        // Alone: this caller's own call, at once, with its own cancellation.
        try
        {
            Interlocked.Increment(ref _calls);
            return await send([record], ct).ConfigureAwait(false);
        }
        finally
        {
            if (TakeNext() is { } next) _ = SendGathered(next);
        }
    }

    /// <summary>The next batch to send in the place of a call that returned, or null (one call fewer in flight) when nobody waits.</summary>
    private List<Gathered>? TakeNext()
    {
        lock (_gate)
        {
            if (_gathered.Count == 0)
            {
                _inFlight--;
                return null;
            }
            List<Gathered> batch;
            if (_gathered.Count <= maxBatch)
            {
                batch = _gathered;
                _gathered = [];
            }
            else
            {
                batch = _gathered[..maxBatch];
                _gathered.RemoveRange(0, maxBatch);
            }
            foreach (var g in batch) g.Sent = true;
            return batch;
        }
    }

    /// <summary>Sends gathered batches one after another until nobody waits. Never throws: every outcome goes to its caller.</summary>
    private async Task SendGathered(List<Gathered> batch)
    {
        for (var next = batch; next is not null; next = TakeNext())
        {
            try
            {
                Interlocked.Increment(ref _calls);
                // Not any one caller's token: cancelling one caller must not cancel the others' call.
                var results = await send([.. next.Select(g => g.Record)], CancellationToken.None).ConfigureAwait(false);
                for (var i = 0; i < next.Count; i++) next[i].TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                foreach (var g in next) g.TrySetException(e);
            }
        }
    }

    /// <summary>A cancelled caller not sent yet is taken out (under the lock that sends, so it is one or the other).</summary>
    private void Cancel(Gathered waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (waiter.Sent) return;
            _gathered.Remove(waiter);
            waiter.TrySetCanceled(token);
        }
    }

    private sealed class Gathered(TaskRecord record) : TaskCompletionSource<EnqueueResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public TaskRecord Record { get; } = record;

        /// <summary>Set under the coalescer's lock when the batch holding it is taken to be sent.</summary>
        public bool Sent;
    }
}
