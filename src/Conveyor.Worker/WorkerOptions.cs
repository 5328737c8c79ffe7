using Conveyor.Engine;
using Conveyor.Model;

namespace Conveyor.Worker;

/// <summary>How a worker pool runs. Validated when the pool starts; every problem is listed at once.</summary>
public sealed class WorkerOptions
{
    /// <summary>
    /// Queues to lease from. Plain names (<c>high, low</c>) are a strict order of preference: all ready
    /// work of the first goes before the second's. Names with weights (<c>high:3, low:1</c>) are taken by
    /// weight, as Sidekiq's weighted queues: each lease draws the order, a queue first with a chance
    /// proportional to its weight, so a busy queue does not starve the others (see <c>QueueOrder</c>).
    /// </summary>
    public List<string> Queues { get; set; } = [TaskDefaults.Queue];

    /// <summary>The queue names of <see cref="Queues"/> without their weights (what the registry shows).</summary>
    internal IReadOnlyList<string> QueueNames => [.. Queues.Select(q => q.IndexOf(':') is var c and >= 0 ? q[..c] : q)];

    /// <summary>The randomness of the weighted order (tests pass a seeded one).</summary>
    internal Random QueueRandom { get; set; } = Random.Shared;

    /// <summary>The lease order policy of <see cref="Queues"/>; the options must be valid.</summary>
    internal Runtime.QueueOrder QueueOrder() =>
        Runtime.QueueOrder.Parse(Queues, QueueRandom, []) ?? throw new InvalidOperationException("invalid queues: validate the options first");

    /// <summary>How many handlers run at once (the slots). Default 10.</summary>
    public int Concurrency { get; set; } = 10;

    /// <summary>The visibility timeout of each lease; renewed every third of it while the handler runs. Default 30 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TaskDefaults.LeaseDuration;

    /// <summary>
    /// At most this many tasks per lease call (and never more than the room: free slots plus prefetch).
    /// Default 50. Larger calls cost the store less per task (Redis, W1: 29 µs of CPU per task at 10 per
    /// call, 21 at 50); without prefetch, a pool whose slots all free at once would refill them in
    /// lockstep waves, which is why this was 10 before prefetch kept work waiting.
    /// </summary>
    public int LeaseBatch { get; set; } = 50;

    /// <summary>
    /// At most this many tasks leased ahead of the free slots, so a slot that frees starts its next task
    /// without waiting for a round trip to the store, and short tasks are leased in full batches.
    /// Default 100; 0 turns prefetch off (Sidekiq's behaviour: lease only for free slots). The pool
    /// prefetches only what its slots finish during three lease round trips (so a prefetched task waits
    /// at most about that long: few slots and slow tasks get none), nothing while tasks take a second or
    /// more, and a prefetched task that waits a third of its lease for a slot goes back to the queue.
    /// </summary>
    public int MaxPrefetch { get; set; } = 100;

    /// <summary>How long one lease call blocks when nothing is ready (the store wakes it on new work). Default 10 s.</summary>
    public TimeSpan LeaseWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>On stop, how long running handlers may take to finish before they are cancelled and handed back. Default 20 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How often the worker reports itself to the worker registry. Default 1 s: the answer carries the
    /// broker's commands (quiet, stop) and the running tasks whose cancel was requested, so a cancel
    /// reaches a handler's token within about this long. Each beat is one small store write.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many acknowledgements per flush. Default 1000.</summary>
    public int AckBatch { get; set; } = 1000;

    /// <summary>The id shown in the worker registry and on every attempt. Default: host:pid:random.</summary>
    public string? WorkerId { get; set; }

    /// <summary>Results larger than this (in bytes of JSON) fail the attempt permanently instead of being sent.</summary>
    public int MaxResultBytes { get; set; } = TaskDefaults.MaxResultBytes;

    /// <summary>
    /// Called on the executor just before each attempt's handler runs (null: nothing is called). For
    /// execution logs: the CLI's <c>CONVEYOR_EXECUTION_LOG</c>, which the fault tests' loss checker reads.
    /// Keep it quick and make it not throw: it runs on the task's slot.
    /// </summary>
    public Action<TaskContext>? OnTaskStart { get; set; }

    internal static readonly TimeSpan MinLeaseDuration = TimeSpan.FromSeconds(1);

    /// <summary>Every problem with these options, in words a user can act on; empty when valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        void Add(string field, string message) => errors.Add(new ValidationError("worker." + field, message));

        if (Queues is null || Queues.Count == 0) Add("queues", "name at least one queue to work on");
        else
        {
            if (Queues.Count > 100) Add("queues", $"at most 100 queues; got {Queues.Count}");
            var problems = new List<string>();
            Runtime.QueueOrder.Parse(Queues, QueueRandom, problems);
            foreach (var e in problems) Add("queues", e);
        }
        if (Concurrency < 1 || Concurrency > 10_000) Add("concurrency", $"concurrency must be between 1 and 10000; got {Concurrency}");
        if (LeaseDuration < MinLeaseDuration || LeaseDuration > TaskDefaults.MaxLeaseDuration)
            Add("lease_duration", $"lease_duration must be between 1 and {TaskDefaults.MaxLeaseDuration.TotalSeconds} seconds; got {LeaseDuration.TotalSeconds}");
        if (LeaseBatch < 1 || LeaseBatch > TaskDefaults.MaxLeaseBatch)
            Add("lease_batch", $"lease_batch must be between 1 and {TaskDefaults.MaxLeaseBatch}; got {LeaseBatch}");
        if (MaxPrefetch < 0 || MaxPrefetch > TaskDefaults.MaxLeaseBatch)
            Add("max_prefetch", $"max_prefetch must be between 0 and {TaskDefaults.MaxLeaseBatch}; got {MaxPrefetch}");
        if (LeaseWait < TimeSpan.Zero || LeaseWait > TaskEngine.MaxLeaseWait)
            Add("lease_wait", $"lease_wait must be between 0 and {TaskEngine.MaxLeaseWait.TotalSeconds} seconds; got {LeaseWait.TotalSeconds}");
        if (DrainTimeout < TimeSpan.Zero || DrainTimeout > TimeSpan.FromHours(1))
            Add("drain_timeout", $"drain_timeout must be between 0 and 3600 seconds; got {DrainTimeout.TotalSeconds}");
        if (HeartbeatInterval < TimeSpan.FromMilliseconds(100) || HeartbeatInterval > TimeSpan.FromMinutes(10))
            Add("heartbeat_interval", $"heartbeat_interval must be between 0.1 and 600 seconds; got {HeartbeatInterval.TotalSeconds}");
        if (AckBatch < 1 || AckBatch > 10_000) Add("ack_batch", $"ack_batch must be between 1 and 10000; got {AckBatch}");
        if (WorkerId is not null && (string.IsNullOrWhiteSpace(WorkerId) || WorkerId.Length > 200))
            Add("worker_id", "worker_id must be 1 to 200 characters");
        if (MaxResultBytes < 1) Add("max_result_bytes", $"max_result_bytes must be positive; got {MaxResultBytes}");
        return errors;
    }

    /// <summary>Throws <see cref="ConveyorValidationException"/> listing every problem.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ConveyorValidationException(errors);
    }

    internal WorkerOptions Snapshot() => new()
    {
        Queues = [.. Queues], Concurrency = Concurrency, LeaseDuration = LeaseDuration, LeaseBatch = LeaseBatch, MaxPrefetch = MaxPrefetch,
        LeaseWait = LeaseWait, DrainTimeout = DrainTimeout, HeartbeatInterval = HeartbeatInterval,
        AckBatch = AckBatch, WorkerId = WorkerId, MaxResultBytes = MaxResultBytes, OnTaskStart = OnTaskStart, QueueRandom = QueueRandom,
    };
}
