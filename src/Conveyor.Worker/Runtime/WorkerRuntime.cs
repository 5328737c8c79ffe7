using System.Collections.Concurrent;
using Conveyor.Model;
using Conveyor.Store;
using Conveyor.Gateway;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>What the pool's parts share: the transport, handlers, slots, ack buffer, counters and the stop flag.</summary>
internal sealed class WorkerRuntime
{
    private readonly SemaphoreSlim _roomFreed = new(0);
    // Keyed by lease token, not task id: a task handed back and leased again by this pool has a second
    // entry while the first copy still waits in the channel, and each copy must find its own.
    // skew: LeasedAt, the timestamp before the lease call, is where the lease's time starts by this machine's monotonic clock.
    private readonly ConcurrentDictionary<string, (LeasedTask Task, long Since, long LeasedAt)> _buffered = new(StringComparer.Ordinal);
    private int _outstanding; // leased by this pool and not yet done: waiting in the channel or running
    private int _roomSignalled;
    private long _runTicks = -1, _leaseTicks = -1; // moving averages; -1 until the first sample
    private long _processed;
    private long _failed;
    private int _progressPending;
    private volatile bool _stopping;

    public WorkerRuntime(string workerId, IWorkerGateway transport, HandlerRegistry handlers, WorkerOptions options,
        TimeProvider time, ILoggerFactory loggers, IServiceScopeFactory? scopes)
    {
        WorkerId = workerId;
        Transport = transport;
        Handlers = handlers;
        Options = options;
        Time = time;
        Scopes = scopes;
        Logger = loggers.CreateLogger("Conveyor.Worker");
        TaskLogger = loggers.CreateLogger("Conveyor.Task");
        Slots = new ExecutionSlot[options.Concurrency];
        for (var i = 0; i < Slots.Length; i++) Slots[i] = new ExecutionSlot(time, ProgressReported);
        Acks = new AckBuffer(transport, options.AckBatch, time, Logger);
        Refusal = new CredentialsRefusal(Logger);
        Outage = new StoreOutage(Logger); // ops
        Queues = options.QueueOrder(); // limits: weighted queues
    }

    /// <summary>The order each lease asks for the queues in (strict or weighted).</summary>
    public QueueOrder Queues { get; }

    public string WorkerId { get; }
    public IWorkerGateway Transport { get; }
    public HandlerRegistry Handlers { get; }
    public WorkerOptions Options { get; }
    public TimeProvider Time { get; }
    public IServiceScopeFactory? Scopes { get; }
    public ILogger Logger { get; }
    public ILogger TaskLogger { get; }
    public ExecutionSlot[] Slots { get; }
    public AckBuffer Acks { get; }
    public CredentialsRefusal Refusal { get; }
    public StoreOutage Outage { get; } // ops: one line per store-unreachable episode
    public int MaxResultBytes => Options.MaxResultBytes;

    public long Processed => Interlocked.Read(ref _processed);
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>
    /// Set when the worker goes quiet or the drain begins: no more leasing, and leased-but-unstarted
    /// tasks (a lease call that answered after the stop, prefetched ones) go back, not charged.
    /// </summary>
    public bool LeasingStopped => _stopping;
    public void StopLeasing() => _stopping = true;

    /// <summary>
    /// How many tasks the lease loop may ask for now: waits until fewer than Concurrency + the prefetch
    /// allowance are leased and unfinished, then takes the room, up to <paramref name="max"/>. Only the
    /// lease loop calls this, so the count only grows here.
    /// </summary>
    /// <returns>The room taken, and whether a slot is free (else it is all prefetch room).</returns>
    public async ValueTask<(int Room, bool SlotFree)> TakeLeaseRoom(int max, CancellationToken ct)
    {
        var yielded = false;
        while (true)
        {
            var prefetch = PrefetchAllowance();
            var capacity = Options.Concurrency + prefetch;
            var outstanding = Volatile.Read(ref _outstanding);
            var room = capacity - outstanding;
            if (room > 0)
            {
                // Coalesce: the first freed slot wakes us while sibling executors are often a moment from
                // freeing theirs. One trip through the thread-pool queue lets them, so the lease asks for a
                // full batch instead of many small ones (measured: ~10 per lease instead of ~6, far fewer
                // round trips). No timer, no added wait when the room is already there. Not while
                // prefetching: then the slots have work waiting, and a trip through a busy queue (0.7 ms
                // in W3) is time the buffer runs dry.
                if (!yielded && prefetch == 0 && room < Math.Min(max, capacity))
                {
                    yielded = true;
                    await Task.Yield();
                    continue;
                }
                var n = Math.Min(max, room);
                Interlocked.Add(ref _outstanding, n);
                return (n, outstanding < Options.Concurrency);
            }
            await WaitRoomFreed(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until a task is done with the pool (or room was given back with a signal).</summary>
    public async ValueTask WaitRoomFreed(CancellationToken ct)
    {
        await _roomFreed.WaitAsync(ct).ConfigureAwait(false);
        Volatile.Write(ref _roomSignalled, 0);
    }

    /// <summary>
    /// Room taken but not used (the lease returned fewer tasks, or failed). <paramref name="signal"/>
    /// false: the lease loop gives it back only to wait for a slot, so it must not wake itself.
    /// </summary>
    public void ReturnRoom(int count, bool signal = true)
    {
        if (count <= 0) return;
        if (signal) Freed(count);
        else Interlocked.Add(ref _outstanding, -count);
    }

    /// <summary>A leased task is done with this pool: finished, handed back or dropped.</summary>
    public void SlotFreed() => Freed(1);

    private void Freed(int count)
    {
        Interlocked.Add(ref _outstanding, -count);
        // At most one pending wake: the lease loop clears the flag after waking, then looks at the count.
        if (Interlocked.Exchange(ref _roomSignalled, 1) == 0) _roomFreed.Release();
    }

    /// <summary>
    /// Prefetch: how many tasks beyond the free slots the lease loop may hold, so that a slot that frees
    /// starts its next task at once instead of after a round trip to the store (Celery's prefetch,
    /// RabbitMQ's consumer prefetch), and so that short tasks are leased in full batches. Sized to what
    /// the slots finish during three lease round trips: 3 x Concurrency x lease time / run time, rounded
    /// down, at most <see cref="WorkerOptions.MaxPrefetch"/>. So a prefetched task waits at most about
    /// three round trips for its slot, however many there are. None until both times are known, and
    /// none while tasks take <see cref="PrefetchRunLimit"/> or longer: a long task would keep what waits
    /// behind it from a worker that is free (Celery's well-known prefetch trap), and a round trip is
    /// nothing next to it.
    /// </summary>
    public int PrefetchAllowance()
    {
        var limit = Options.MaxPrefetch;
        if (limit <= 0) return 0;
        var run = Volatile.Read(ref _runTicks);
        var lease = Volatile.Read(ref _leaseTicks);
        if (run < 0 || lease < 0 || run >= PrefetchRunLimit.Ticks) return 0;
        // Rounded down: the n-th task held ahead waits about n x run / Concurrency for a slot, and that
        // must stay within three round trips (one slot and half-second tasks: none, not one that waits
        // half a second in a buffer while it shows as running). Three, not two: W3 (50 slots, 10 ms)
        // measured 4.49-4.66k tasks/s with two and 4.64-4.73k with three (four: no better).
        var want = Math.Floor(RoundTripsAhead * Options.Concurrency * lease / Math.Max(run, 1));
        return (int)Math.Min(limit, want);
    }

    /// <summary>Prefetch covers what the slots finish in this many lease round trips.</summary>
    public const double RoundTripsAhead = 3;

    /// <summary>Tasks that run this long or longer on average are never prefetched.</summary>
    public static readonly TimeSpan PrefetchRunLimit = TimeSpan.FromSeconds(1);

    /// <summary>A lease call that returned tasks took this long (a blocking wait counts at most 50 ms).</summary>
    public void LeaseTook(TimeSpan elapsed) =>
        Volatile.Write(ref _leaseTicks, Ewma(Volatile.Read(ref _leaseTicks), Math.Min(elapsed.Ticks, TimeSpan.TicksPerMillisecond * 50)));

    /// <summary>A handler ran this long.</summary>
    public void TaskTook(TimeSpan elapsed) => Volatile.Write(ref _runTicks, Ewma(Volatile.Read(ref _runTicks), elapsed.Ticks));

    // An estimate: racing writers may drop a sample, which an average of the recent past can afford.
    private static long Ewma(long average, long sample) => average < 0 ? sample : average + (sample - average) / 8;

    /// <summary>
    /// A leased task goes to the executors: it waits in the dispatch channel until a slot takes it.
    /// <paramref name="leasedAt"/>: the timestamp taken before the lease call.
    /// </summary>
    public void Buffered(LeasedTask task, long leasedAt) => _buffered[task.LeaseToken] = (task, Time.GetTimestamp(), leasedAt);

    /// <summary>An executor takes a task to run (or hand back): false when the renewer handed it back already.</summary>
    public bool Unbuffer(LeasedTask task, out long leasedAt)
    {
        var taken = _buffered.TryRemove(task.LeaseToken, out var entry);
        leasedAt = entry.LeasedAt;
        return taken;
    }

    /// <summary>
    /// Prefetched tasks that waited <paramref name="longerThan"/> without a slot go back to the queue (not
    /// charged), where a free worker can take them, well before their lease would run out. This pool does
    /// not take them back while its slots stay busy: with no slot free it only leases what is ready, and
    /// after an empty lease it waits for a slot (<see cref="LeaseLoop"/>).
    /// </summary>
    public int HandBackWaiting(TimeSpan longerThan)
    {
        var n = 0;
        foreach (var (token, (task, since, _)) in _buffered)
        {
            if (Time.GetElapsedTime(since) < longerThan || !_buffered.TryRemove(token, out _)) continue;
            Acks.Post(new TaskReleaseParams(task.Task.Id, token));
            n++;
        }
        return n;
    }

    /// <summary>A handler reported progress: the renewer sends it with an early renewal.</summary>
    public void ProgressReported() => Volatile.Write(ref _progressPending, 1);

    public bool TakeProgressPending() => Interlocked.Exchange(ref _progressPending, 0) == 1;

    public void Count(AckDecision outcome, TaskRecord task, Exception? error)
    {
        Interlocked.Increment(ref _processed);
        if (outcome.Kind == OutcomeKind.Failed)
        {
            Interlocked.Increment(ref _failed);
            if (Logger.IsEnabled(LogLevel.Information))
                Logger.LogInformation(error, "task {TaskId} ({Type}) attempt {Attempt}/{MaxAttempts} failed", task.Id, task.Type, task.Attempt, task.MaxAttempts);
        }
        else if (outcome.Kind == OutcomeKind.Dropped)
            Logger.LogInformation("task {TaskId} ({Type}) stopped: {Why}; nothing to acknowledge", task.Id, task.Type, outcome.Why);
    }

    public IReadOnlyList<string> RunningTaskIds()
    {
        var ids = new List<string>();
        foreach (var s in Slots)
            if (s.Current is { } c) ids.Add(c.Task.Id);
        return ids;
    }
}
