using Conveyor.Model;

namespace Conveyor.Engine;

/// <summary>
/// Concurrent single submissions share one store round trip (issue 15), the way the SQLite writer's
/// group commit shares one fsync. No timer and no wait: a caller that finds fewer than
/// <c>maxInFlight</c> calls in flight goes at once, alone; callers that arrive while that many are in
/// flight are gathered and sent together as the next call, the moment one in flight returns (or,
/// when fewer are gathered than it held, right after its callers have gone on: SendGathered). So a
/// lone caller pays nothing, and sixteen callers pay one script call (Redis) or one write operation
/// (SQLite) per few submissions instead of one each. One in flight by default: two (one batch in the
/// store while the next gathers) looked better on paper, but in the one comparison made (bench/peers,
/// three runs each on a busy machine, docs/performance.md) one in flight gave 0.125 calls per task and
/// a median 40k single enqueues/s against two's 0.22 and 22k (spinning thread-pool workers then; an
/// unsettled re-run with them off in this session's branch enqueue2 did not show two ahead either).
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

    public ValueTask<IReadOnlyList<EnqueueResult>> Enqueue(TaskRecord record, CancellationToken ct)
    {
        Gathered? waiter = null;
        lock (_gate)
        {
            if (_inFlight >= maxInFlight)
            {
                waiter = new Gathered(this, record);
                _gathered.Add(waiter);
            }
            else _inFlight++;
        }
        if (waiter is null) return SendAlone(record, ct);

        // Cancelled before it was sent: taken out, so it stores nothing. enqueue: registered only when
        // the token can cancel, and undone by whoever completes the waiter (no async frame here).
        if (ct.CanBeCanceled)
        {
            waiter.Registration = ct.Register(static (s, token) => ((Gathered)s!).Cancel(token), waiter);
            if (waiter.Task.IsCompleted) waiter.Registration.Dispose();
        }
        return new ValueTask<IReadOnlyList<EnqueueResult>>(waiter.Task);
    }

    /// <summary>Alone: this caller's own call, at once, with its own cancellation.</summary>
    private async ValueTask<IReadOnlyList<EnqueueResult>> SendAlone(TaskRecord record, CancellationToken ct)
    {
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

    private int GatheredCount()
    {
        lock (_gate) return _gathered.Count;
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

    /// <summary>
    /// Sends one gathered batch; when it returns, sends the next one (if anyone gathered meanwhile)
    /// BEFORE this batch's callers are resumed, so the store already works on the next batch while
    /// they go on, unless fewer are gathered than this batch holds (see the comment in the body).
    /// enqueue2: the callers then go on here, one after the other (up to
    /// <see cref="ResumedInline"/> of them; the rest in runs on the thread pool), on the thread the
    /// store's answer came on (a thread-pool thread: the store clients complete their calls
    /// asynchronously), instead of one thread-pool hop each: with idle workers blocking instead of
    /// spinning (the CLI's runtimeconfig), a hop is a work item and often a futex wake of a sleeping
    /// worker (W1 over Redis: 1.63 -> 0.31 work items per single enqueue; docs/performance.md). A
    /// caller that blocks in its continuation holds up the callers after it in the same batch, and,
    /// when the callers go on before the next call (fewer gathered), that call too: at most one run
    /// of <see cref="ResumedInline"/> continuations stands before it. A call that answered at once
    /// (no store thread to resume on) resumes its callers in one thread-pool item instead, so resumed
    /// callers that gather again never nest batch inside batch on one stack. Never throws: every
    /// outcome goes to its caller.
    /// </summary>
    private async Task SendGathered(List<Gathered> batch)
    {
        IReadOnlyList<EnqueueResult>? results = null;
        Exception? failure = null;
        var atOnce = true;
        try
        {
            Interlocked.Increment(ref _calls);
            var records = new TaskRecord[batch.Count];
            for (var i = 0; i < records.Length; i++) records[i] = batch[i].Record;
            // Not any one caller's token: cancelling one caller must not cancel the others' call.
            var call = send(records, CancellationToken.None);
            atOnce = call.IsCompleted;
            results = await call.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }
        // enqueue2: fewer gathered than go on now: the ones going on first (inline, at most one run),
        // then the next call. A caller that goes on often submits again at once (a loop, a request
        // after its response), and then joins this next call instead of the one after it: with 16
        // callers in a loop, calls of 16 instead of alternating calls of 1 and 15 (0.063 store calls
        // per task instead of 0.125, docs/performance.md). As many gathered or more: the next call
        // goes first, so the store works while these callers go on (the rule below).
        if (!atOnce && batch.Count <= ResumedInline && GatheredCount() < batch.Count)
        {
            Resume(batch, results, failure, 0);
            if (TakeNext() is { } then) _ = SendGathered(then);
            return;
        }
        if (TakeNext() is { } next) _ = SendGathered(next);
        if (atOnce) ThreadPool.UnsafeQueueUserWorkItem(static s => Resume(s.batch, s.results, s.failure), (batch, results, failure), preferLocal: false);
        else Resume(batch, results, failure);
    }

    /// <summary>
    /// At most this many callers of one batch go on one after the other on one thread: past it, each
    /// further run of this many is handed to the thread pool (in parallel on a machine with the cores
    /// for it), so 500 gathered HTTP requests do not write their responses one by one on one thread.
    /// </summary>
    public const int ResumedInline = 16;

    private static void Resume(List<Gathered> batch, IReadOnlyList<EnqueueResult>? results, Exception? failure)
    {
        for (var from = ResumedInline; from < batch.Count; from += ResumedInline)
            ThreadPool.UnsafeQueueUserWorkItem(static s => Resume(s.batch, s.results, s.failure, s.from), (batch, results, failure, from), preferLocal: false);
        Resume(batch, results, failure, 0);
    }

    private static void Resume(List<Gathered> batch, IReadOnlyList<EnqueueResult>? results, Exception? failure, int from)
    {
        for (var i = from; i < Math.Min(batch.Count, from + ResumedInline); i++)
        {
            if (failure is null) batch[i].Complete([results![i]]);
            else batch[i].Fail(failure);
        }
    }

    /// <summary>
    /// A cancelled caller not sent yet is taken out (under the lock that sends, so it is one or the
    /// other), then cancelled outside it, on the thread pool: its continuation must not run inside
    /// whoever cancelled the token.
    /// </summary>
    private void Cancel(Gathered waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (waiter.Sent) return;
            _gathered.Remove(waiter);
        }
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Waiter.TrySetCanceled(s.Token), (Waiter: waiter, Token: token), preferLocal: false);
    }

    /// <summary>One gathered caller; completed outside the coalescer's lock, its continuation inline (see <see cref="SendGathered"/>).</summary>
    private sealed class Gathered(EnqueueCoalescer owner, TaskRecord record) : TaskCompletionSource<IReadOnlyList<EnqueueResult>>(TaskCreationOptions.None)
    {
        public TaskRecord Record { get; } = record;

        /// <summary>Set under the coalescer's lock when the batch holding it is taken to be sent.</summary>
        public bool Sent;

        public CancellationTokenRegistration Registration;

        public void Cancel(CancellationToken token) => owner.Cancel(this, token);

        public void Complete(IReadOnlyList<EnqueueResult> result)
        {
            Registration.Dispose(); // sent, so a cancellation now changes nothing
            TrySetResult(result);
        }

        public void Fail(Exception e)
        {
            Registration.Dispose();
            TrySetException(e);
        }
    }
}
