using System.Globalization;

namespace Conveyor.Cli.Bench;

/// <summary>The measured figures of one bench run; printed as one line per workload, or as JSON.</summary>
internal sealed record BenchReport
{
    public required string Target { get; init; }
    public W1Result? W1 { get; init; }
    public W2Result? W2 { get; init; }
    /// <summary>ops: W2 with the worker in another process on the same SQLite file (<c>--workloads w2x</c>).</summary>
    public W2Result? W2OtherProcess { get; init; }
    public W3Result? W3 { get; init; }
    public RedisCost? Redis { get; init; }
    public W4Result? W4 { get; init; }
    public IReadOnlyList<BacklogLevel>? Backlog { get; init; }
    /// <summary>With <c>--runs R</c>: the first R - 1 runs' W1/W2/W3 (this report holds the last), and every figure's spread.</summary>
    public IReadOnlyList<BenchReport>? EarlierRuns { get; init; }
    public BenchSpread? Spread { get; init; }

    /// <summary>enqueue2: a phase's voluntary context switches per task, or n/a where they are not counted.</summary>
    private static string Waits(PhaseCost p) => p.Waits is { } w ? w.ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    public IEnumerable<string> Lines()
    {
        var c = CultureInfo.InvariantCulture;
        foreach (var line in (EarlierRuns ?? []).SelectMany(run => run.Lines()))
            yield return line;
        if (W1 is { } w1)
            yield return string.Create(c, $"W1 throughput  target={Target} tasks={w1.Processed} enqueue_single={w1.EnqueueSinglePerSecond:F0}/s (callers={w1.EnqueueCallers} p50={w1.SubmitP50Ms:F2}ms p99={w1.SubmitP99Ms:F2}ms) enqueue_batch={w1.EnqueueBatchPerSecond:F0}/s (batch={w1.BatchSize}) processed={w1.ProcessedPerSecond:F0}/s (concurrency={w1.Concurrency}) lost={w1.Lost} duplicates={w1.Duplicates}{(w1.Limit == "off" ? "" : " limit=" + w1.Limit)}");
        if (W1?.Cpu is { } cpu) // enqueue: the bench process's own CPU, beside W1's rates
            yield return string.Create(c, $"W1 bench cpu   target={Target} bench_cpu_us_per_task: enqueue_single={cpu.EnqueueSingle.Micros:F1} enqueue_batch={cpu.EnqueueBatch.Micros:F1} process={cpu.Process.Micros:F1} alloc_bytes_per_task: enqueue_single={cpu.EnqueueSingle.Bytes:F0} enqueue_batch={cpu.EnqueueBatch.Bytes:F0} process={cpu.Process.Bytes:F0} pool_items_per_task: enqueue_single={cpu.EnqueueSingle.WorkItems:F2} enqueue_batch={cpu.EnqueueBatch.WorkItems:F2} process={cpu.Process.WorkItems:F2} waits_per_task: enqueue_single={Waits(cpu.EnqueueSingle)} enqueue_batch={Waits(cpu.EnqueueBatch)} process={Waits(cpu.Process)}");
        if (W2 is { } w2)
        {
            yield return string.Create(c, $"W2 pickup      target={Target} samples={w2.Samples} p50={w2.P50Ms:F3}ms p99={w2.P99Ms:F3}ms max={w2.MaxMs:F3}ms");
            if (w2.Breakdown is { } b)
                yield return string.Create(c, $"W2 breakdown   target={Target} medians from before the submit: submit_returned={b.SubmitReturnedMs:F3}ms lease_returned={b.LeaseReturnedMs:F3}ms handler_started={b.HandlerStartedMs:F3}ms (lease_to_handler={b.LeaseToHandlerMs:F3}ms)");
        }
        if (W2OtherProcess is { } w2x) // ops
            yield return string.Create(c, $"W2 other proc  target={Target} samples={w2x.Samples} p50={w2x.P50Ms:F3}ms p99={w2x.P99Ms:F3}ms max={w2x.MaxMs:F3}ms");
        if (W3 is { } w3)
            yield return string.Create(c, $"W3 io-bound    target={Target} tasks={w3.Tasks} sleep={w3.SleepMs}ms concurrency={w3.Concurrency} processed={w3.ProcessedPerSecond:F0}/s lost={w3.Lost}");
        if (W4 is { } w4)
        {
            yield return string.Create(c, $"W4 fill        target={Target} tasks={w4.Tasks} seconds={w4.FillSeconds:F1} rate={w4.Tasks / w4.FillSeconds:F0}/s");
            foreach (var read in w4.Reads)
                yield return string.Create(c, $"W4 dashboard   target={Target} tasks={w4.Tasks} read={read.Read} calls={read.Calls} p50={read.P50Ms:F3}ms p99={read.P99Ms:F3}ms max={read.MaxMs:F3}ms");
        }
        foreach (var b in Backlog ?? [])
            yield return string.Create(c, $"Backlog        target={Target} waiting={b.Waiting} delayed={b.Delayed} enqueue_single={b.W1.EnqueueSinglePerSecond:F0}/s enqueue_batch={b.W1.EnqueueBatchPerSecond:F0}/s processed={b.W1.ProcessedPerSecond:F0}/s (tasks={b.W1.Processed}) lost={b.W1.Lost} duplicates={b.W1.Duplicates} rss_mb={b.RssBytes / 1048576.0:F0} store_bytes_per_task={(b.StoreBytesPerTask is { } per ? per.ToString("F0", c) : "n/a")} (store_mb={(b.StoreBytes is { } sb ? (sb / 1048576.0).ToString("F0", c) : "n/a")} tasks={b.StoredTasks}) cpu_us_per_task={b.CpuMicrosPerTask:F1}{(b.RedisCpuMicrosPerTask is { } rc ? string.Create(c, $" redis_cpu_us_per_task={rc:F1}") : "")}");
        if (Spread is { } spread)
            yield return spread.Line(Target);
        if (Redis is { } r)
            yield return string.Create(c, $"Redis cost     target={Target} calls_per_task={r.CallsPerTask:F3} (enqueue_single={r.EnqueueSingleCallsPerTask:F3} enqueue_batch={r.EnqueueBatchCallsPerTask:F3} process={r.ProcessCallsPerTask:F3}) batch_path_calls_per_task={r.BatchPathCallsPerTask:F3} cpu_us_per_task={r.CpuMicrosPerTask:F1} (enqueue_single={r.EnqueueSingleCpuMicrosPerTask:F1} enqueue_batch={r.EnqueueBatchCpuMicrosPerTask:F1} process={r.ProcessCpuMicrosPerTask:F1}) bytes_per_pending_task={r.BytesPerPendingTask:F0} script_us_per_task: enqueue_single={r.EnqueueSingleScriptMicrosPerTask:F1} enqueue_batch={r.EnqueueBatchScriptMicrosPerTask:F1} process={r.ProcessScriptMicrosPerTask:F1}");
    }
}

internal sealed record W1Result(int Processed, double EnqueueSinglePerSecond, int EnqueueCallers, double SubmitP50Ms, double SubmitP99Ms, double EnqueueBatchPerSecond, int BatchSize, double ProcessedPerSecond, int Concurrency, int Lost, int Duplicates)
{
    /// <summary>limits: the <c>--w1-limit</c> mode (off, meta, unhit, hit).</summary>
    public string Limit { get; init; } = "off";

    /// <summary>enqueue: the bench process's CPU per task of each phase (<see cref="BenchCpu"/>).</summary>
    public W1Cpu? Cpu { get; init; }
}

internal sealed record W2Result(int Samples, double P50Ms, double P99Ms, double MaxMs)
{
    public W2Breakdown? Breakdown { get; init; }
}

internal sealed record W3Result(int Tasks, int SleepMs, int Concurrency, double ProcessedPerSecond, int Lost);

/// <summary>
/// Redis's bill for W1 (see <see cref="RedisCostMeter"/> for how each figure is counted).
/// <see cref="CallsPerTask"/>: every command the store sent during all of W1 (single enqueues,
/// batch enqueues, processing) over the tasks processed. The three parts are per task of their own
/// phase: <see cref="EnqueueSingleCallsPerTask"/> and <see cref="EnqueueBatchCallsPerTask"/> per task
/// enqueued that way, <see cref="ProcessCallsPerTask"/> (lease, complete, heartbeats, wake-ups) per
/// task processed. <see cref="BatchPathCallsPerTask"/> = enqueue batch + process: the amortised
/// "enqueue + lease + complete" of a producer and a worker that both use batches.
/// <see cref="CpuMicrosPerTask"/>: Redis CPU (user + sys) over all of W1, per task processed; its
/// three parts are per task of their own phase, like the calls (so which transitions cost most shows).
/// </summary>
internal sealed record RedisCost(double CallsPerTask, double EnqueueSingleCallsPerTask, double EnqueueBatchCallsPerTask, double ProcessCallsPerTask, double CpuMicrosPerTask, double BytesPerPendingTask)
{
    public double EnqueueSingleCpuMicrosPerTask { get; init; }
    public double EnqueueBatchCpuMicrosPerTask { get; init; }
    public double ProcessCpuMicrosPerTask { get; init; }

    /// <summary>enqueue3: of each phase's Redis CPU, the time spent running scripts (<c>INFO commandstats</c>; <see cref="RedisCostMeter"/>).</summary>
    public double EnqueueSingleScriptMicrosPerTask { get; init; }
    public double EnqueueBatchScriptMicrosPerTask { get; init; }
    public double ProcessScriptMicrosPerTask { get; init; }

    // A stored property (not a computed getter) so --json carries it: the JSON dialect skips read-only properties.
    public double BatchPathCallsPerTask { get; init; } = EnqueueBatchCallsPerTask + ProcessCallsPerTask;
}
