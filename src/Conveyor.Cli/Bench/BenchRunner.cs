using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Conveyor.Model;
using Conveyor.Worker;

namespace Conveyor.Cli.Bench;

/// <summary>Sizes of a bench run (DESIGN §8 and the issues' definitions).</summary>
internal sealed record BenchSettings
{
    /// <summary>W1: tasks enqueued one call each, and as many again through the batch call.</summary>
    public int W1Tasks { get; init; } = 10_000;
    /// <summary>
    /// W1: tasks run through the same three phases in a queue of their own before anything is
    /// measured (half single, half batch), so what is measured is a worker in its steady state (the
    /// JIT has tiered up the hot paths; on a busy 2-core machine that takes a few seconds, and a cold
    /// W1 processed 20–35% fewer tasks per second), not a process that just started. BullMQ's bench does the same.
    /// Default (null): as many as W1 itself runs, 2 × <see cref="W1Tasks"/>. 0: measure a cold process.
    /// </summary>
    public int? W1Warmup { get; init; }
    public int W1Callers { get; init; } = 16;
    public int W1BatchSize { get; init; } = 500;
    public int W1Concurrency { get; init; } = 10;
    /// <summary>
    /// limits: <c>off</c> (plain W1), <c>meta</c> (every W1 task carries a tenant among <see cref="W1Tenants"/>
    /// in its metadata, no limit), <c>unhit</c> (and a per-tenant concurrency limit far above what runs),
    /// <c>hit</c> (and a per-tenant limit of 2 running: 4 tenants x 2 = 8 below the 10 slots, so it binds).
    /// </summary>
    public string W1Limit { get; init; } = "off";
    public const int W1Tenants = 4;
    public int W2Samples { get; init; } = 200;
    public int W3Tasks { get; init; } = 2_000;
    public int W3SleepMs { get; init; } = 10;
    public int W3Concurrency { get; init; } = 50;
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Redis only: pending tasks enqueued into a scratch queue to measure memory per task.</summary>
    public int MemoryTasks { get; init; } = 10_000;
}

/// <summary>
/// Runs the three workloads against one target with the real worker runtime. Every workload has a
/// queue of its own (named per run) so it never sees another's tasks, and checks that every task it
/// submitted ran: lost and duplicated tasks are counted, never assumed away.
/// </summary>
internal sealed class BenchRunner(IBenchTarget target, BenchSettings settings, BenchProgress progress, RedisCostMeter? meter = null)
{
    /// <summary>Samples of <see cref="RedisCostMeter"/> around W1's phases (only with a meter): start, after the single enqueues, after the batches, after processing.</summary>
    public IReadOnlyList<RedisCostMeter.Sample> W1Samples { get; private set; } = [];

    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private static readonly JsonElement NoArgs = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The unmeasured W1 warm-up (see <see cref="BenchSettings.W1Warmup"/>); every task must run.</summary>
    /// <returns>How many tasks it ran (they stay in the store, completed).</returns>
    public async Task<int> WarmUp(CancellationToken ct)
    {
        var n = settings.W1Warmup ?? 2 * settings.W1Tasks;
        if (n <= 0) return 0;
        var queue = $"bench-warm-{_run}";
        progress.Phase($"W1 warm-up: {n} tasks, not measured");
        // w1warm: the warm-up runs W1's own mode (its metadata and its limit), so the paths W1 measures
        // are the ones the JIT has compiled and tiered up; a plain warm-up left the limited lease's
        // first compilations inside the measured phase of --w1-limit unhit and hit.
        var meta = W1Metadata();
        await SetW1Limit(queue, ct).ConfigureAwait(false);
        var next = -1;
        var single = n / 2;
        await Task.WhenAll(Enumerable.Range(0, settings.W1Callers).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < single)
                await target.Submit(new TaskSubmission { Type = "noop", Queue = queue, Args = NoArgs, Metadata = meta() }, ct).ConfigureAwait(false);
        })).ConfigureAwait(false);
        for (var i = single; i < n; i += settings.W1BatchSize)
        {
            var size = Math.Min(settings.W1BatchSize, n - i);
            await target.SubmitMany([.. Enumerable.Range(0, size).Select(_ => new TaskSubmission { Type = "noop", Queue = queue, Args = NoArgs, Metadata = meta() })], ct).ConfigureAwait(false);
        }
        var ran = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlers = new HandlerRegistry().Add("noop", (JsonElement _, TaskContext _) =>
        {
            if (Interlocked.Increment(ref ran) == n) done.TrySetResult();
            return ValueTask.FromResult<object?>(null);
        });
        await RunPool(handlers, queue, settings.W1Concurrency, done.Task, () => Volatile.Read(ref ran), n, "W1 warm-up", ct).ConfigureAwait(false);
        if (!done.Task.IsCompleted) throw new InvalidOperationException($"W1 warm-up: only {ran} of {n} tasks ran");
        // A quiet second lets the runtime finish compiling the hot methods (tier-1) in the background.
        await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        return n;
    }

    public async Task<W1Result> RunW1(CancellationToken ct)
    {
        await WarmUp(ct).ConfigureAwait(false);
        return await RunW1In($"bench-w1-{_run}", priority: null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// W1's three phases in <paramref name="queue"/>, its tasks at <paramref name="priority"/> (null:
    /// the default). The backlog workload runs it in a queue that already holds waiting tasks of a
    /// lower priority, so W1's tasks go first and the backlog stays waiting (<see cref="BacklogBench"/>).
    /// </summary>
    public async Task<W1Result> RunW1In(string queue, int? priority, CancellationToken ct, Action<HandlerRegistry>? addHandlers = null)
    {
        var n = settings.W1Tasks;
        var seen = new DeliveryCount(2 * n);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var target2 = 2 * n;
        var distinct = 0;
        var meta = W1Metadata();
        await SetW1Limit(queue, ct).ConfigureAwait(false);

        // Phase 1: one call per task, from several concurrent callers (a web app's request threads).
        progress.Phase($"W1: enqueue {n} tasks one call each ({settings.W1Callers} callers)");
        var next = -1;
        var latencies = new double[n];
        var samples = new List<RedisCostMeter.Sample>();
        if (meter is not null) samples.Add(await meter.Take().ConfigureAwait(false));
        var cpu = BenchCpu.Now(); // enqueue: the bench process's CPU per task of each phase
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.W1Callers).Select(async _ =>
        {
            int mine;
            while ((mine = Interlocked.Increment(ref next)) < n)
            {
                var t0 = Stopwatch.GetTimestamp();
                await target.Submit(new TaskSubmission { Type = "noop", Queue = queue, Args = NoArgs, Priority = priority, Metadata = meta() }, ct).ConfigureAwait(false);
                latencies[mine] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                progress.Tick("W1 enqueue (single)", Math.Min(next, n), n);
            }
        })).ConfigureAwait(false);
        var singleRate = n / sw.Elapsed.TotalSeconds;
        var singleCpu = cpu.PerTask(n);
        var submitStats = new LatencyStats(latencies);
        if (meter is not null) samples.Add(await meter.Take().ConfigureAwait(false));

        // Phase 2: the batch call.
        progress.Phase($"W1: enqueue {n} tasks in batches of {settings.W1BatchSize}");
        cpu = BenchCpu.Now();
        sw.Restart();
        for (var i = 0; i < n; i += settings.W1BatchSize)
        {
            var size = Math.Min(settings.W1BatchSize, n - i);
            var batch = new TaskSubmission[size];
            for (var j = 0; j < size; j++) batch[j] = new TaskSubmission { Type = "noop", Queue = queue, Args = NoArgs, Priority = priority, Metadata = meta() };
            await target.SubmitMany(batch, ct).ConfigureAwait(false);
            progress.Tick("W1 enqueue (batch)", i + size, n);
        }
        var batchRate = n / sw.Elapsed.TotalSeconds;
        var batchCpu = cpu.PerTask(n);
        if (meter is not null) samples.Add(await meter.Take().ConfigureAwait(false));

        // Phase 3: process all of them.
        progress.Phase($"W1: process {target2} no-op tasks at concurrency {settings.W1Concurrency}");
        var handlers = new HandlerRegistry();
        addHandlers?.Invoke(handlers);
        handlers.Add("noop", (JsonElement _, TaskContext ctx) =>
        {
            if (seen.Add(ctx.TaskId) && Interlocked.Increment(ref distinct) == target2) done.TrySetResult();
            return ValueTask.FromResult<object?>(null);
        });
        cpu = BenchCpu.Now();
        sw.Restart();
        var elapsed = await RunPool(handlers, queue, settings.W1Concurrency, done.Task, () => Volatile.Read(ref distinct), target2, "W1 process", ct).ConfigureAwait(false);
        var processedRate = distinct / elapsed.TotalSeconds;
        var processCpu = cpu.PerTask(distinct);
        // Taken after the pool stopped, so the last flushed completions are counted too.
        if (meter is not null) samples.Add(await meter.Take().ConfigureAwait(false));
        W1Samples = samples;
        var duplicates = seen.Duplicates;
        return new W1Result(target2, singleRate, settings.W1Callers, submitStats.P50, submitStats.P99, batchRate, settings.W1BatchSize, processedRate, settings.W1Concurrency, target2 - distinct, duplicates)
        {
            Limit = settings.W1Limit,
            Cpu = new W1Cpu(singleCpu, batchCpu, processCpu),
        };
    }

    /// <summary>limits: W1's metadata per task in its <see cref="BenchSettings.W1Limit"/> mode: null for <c>off</c>, else the next of <see cref="BenchSettings.W1Tenants"/> tenants in turn.</summary>
    private Func<IReadOnlyDictionary<string, string>?> W1Metadata()
    {
        if (settings.W1Limit == "off") return () => null;
        var tenants = Enumerable.Range(0, BenchSettings.W1Tenants).Select(t => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["tenant"] = "t" + t }).ToArray();
        var tenant = 0;
        return () => tenants[(Interlocked.Increment(ref tenant) & int.MaxValue) % tenants.Length];
    }

    /// <summary>limits: W1's limit on <paramref name="queue"/> in the <c>unhit</c> and <c>hit</c> modes (none otherwise).</summary>
    private async Task SetW1Limit(string queue, CancellationToken ct)
    {
        if (settings.W1Limit is "unhit" or "hit")
            await target.QueueLimitSet(queue, new Conveyor.Limits.QueueLimit("bench-tenant", "metadata.tenant", Concurrency: settings.W1Limit == "hit" ? 2 : 1_000_000), ct).ConfigureAwait(false);
    }

    public async Task<W2Result> RunW2(CancellationToken ct)
    {
        var queue = $"bench-w2-{_run}";
        TaskCompletionSource<long>? started = null;
        var handlers = new HandlerRegistry().Add("noop", (JsonElement _, TaskContext _) =>
        {
            Volatile.Read(ref started)?.TrySetResult(Stopwatch.GetTimestamp());
            return ValueTask.FromResult<object?>(null);
        });
        progress.Phase($"W2: pickup latency, {settings.W2Samples} tasks one at a time");
        var samples = new List<double>(settings.W2Samples);
        var submitted = new List<double>(settings.W2Samples);
        var leaseReturned = new List<double>(settings.W2Samples);
        var dispatched = new List<double>(settings.W2Samples);
        var clock = new LeaseClockTransport(target.Transport);
        var pool = new WorkerPool(clock, handlers, PoolOptions(queue, 1));
        await pool.StartAsync(ct).ConfigureAwait(false);
        try
        {
            // A few unmeasured rounds first, so the JIT and the connections are warm.
            for (var i = -5; i < settings.W2Samples; i++)
            {
                var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref started, tcs);
                var before = Stopwatch.GetTimestamp();
                await target.Submit(new TaskSubmission { Type = "noop", Queue = queue, Args = NoArgs }, ct).ConfigureAwait(false);
                var returned = Stopwatch.GetTimestamp();
                var at = await tcs.Task.WaitAsync(settings.PhaseTimeout, ct).ConfigureAwait(false);
                if (i >= 0)
                {
                    var leasedAt = clock.LastLeaseReturned;
                    samples.Add(Stopwatch.GetElapsedTime(before, at).TotalMilliseconds);
                    submitted.Add(Stopwatch.GetElapsedTime(before, returned).TotalMilliseconds);
                    leaseReturned.Add(Stopwatch.GetElapsedTime(before, leasedAt).TotalMilliseconds);
                    dispatched.Add(Stopwatch.GetElapsedTime(leasedAt, at).TotalMilliseconds);
                }
                progress.Tick("W2 pickup", Math.Max(0, i + 1), settings.W2Samples);
                // Let the acknowledgement land before the next sample, so each one is measured alone.
                await Task.Delay(2, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            await pool.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        var stats = new LatencyStats(samples);
        return new W2Result(stats.Count, stats.P50, stats.P99, stats.Max)
        {
            Breakdown = new W2Breakdown(new LatencyStats(submitted).P50, new LatencyStats(leaseReturned).P50, stats.P50, new LatencyStats(dispatched).P50),
        };
    }

    public async Task<W3Result> RunW3(CancellationToken ct)
    {
        var queue = $"bench-w3-{_run}";
        var n = settings.W3Tasks;
        var distinct = 0;
        var seen = new ConcurrentDictionary<string, byte>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        progress.Phase($"W3: enqueue {n} tasks sleeping {settings.W3SleepMs} ms");
        var args = JsonDocument.Parse($"{{\"ms\":{settings.W3SleepMs}}}").RootElement.Clone();
        for (var i = 0; i < n; i += 1000)
        {
            var size = Math.Min(1000, n - i);
            await target.SubmitMany(Enumerable.Range(0, size).Select(_ => new TaskSubmission { Type = "sleep", Queue = queue, Args = args }).ToList(), ct).ConfigureAwait(false);
        }
        var sleep = TimeSpan.FromMilliseconds(settings.W3SleepMs);
        var handlers = new HandlerRegistry().Add("sleep", async (JsonElement _, TaskContext ctx) =>
        {
            await PreciseDelay.Delay(sleep, TimeProvider.System, ctx.CancellationToken).ConfigureAwait(false);
            if (seen.TryAdd(ctx.TaskId, 0) && Interlocked.Increment(ref distinct) == n) done.TrySetResult();
            return null;
        });
        progress.Phase($"W3: process at concurrency {settings.W3Concurrency}");
        var elapsed = await RunPool(handlers, queue, settings.W3Concurrency, done.Task, () => Volatile.Read(ref distinct), n, "W3 process", ct).ConfigureAwait(false);
        return new W3Result(n, settings.W3SleepMs, settings.W3Concurrency, distinct / elapsed.TotalSeconds, n - distinct);
    }

    private async Task<TimeSpan> RunPool(HandlerRegistry handlers, string queue, int concurrency, Task done, Func<int> count, int total, string phase, CancellationToken ct)
    {
        var pool = new WorkerPool(target.Transport, handlers, PoolOptions(queue, concurrency));
        var sw = Stopwatch.StartNew();
        await pool.StartAsync(ct).ConfigureAwait(false);
        try
        {
            using var ticker = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            var deadline = Stopwatch.StartNew();
            while (!done.IsCompleted && deadline.Elapsed < settings.PhaseTimeout)
            {
                await Task.WhenAny(done, ticker.WaitForNextTickAsync(ct).AsTask()).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                progress.Tick(phase, count(), total);
            }
            return sw.Elapsed;
        }
        finally
        {
            await pool.StopAsync(CancellationToken.None).ConfigureAwait(false);
            progress.Done();
        }
    }

    private static WorkerOptions PoolOptions(string queue, int concurrency) => new()
    {
        Queues = [queue],
        Concurrency = concurrency,
        LeaseWait = TimeSpan.FromSeconds(5),
        DrainTimeout = TimeSpan.FromSeconds(5),
        WorkerId = $"bench-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}",
    };
}
