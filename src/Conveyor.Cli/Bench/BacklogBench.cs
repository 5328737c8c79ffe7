using System.Diagnostics;
using System.Text.Json;
using Conveyor.Model;
using Conveyor.Worker;

namespace Conveyor.Cli.Bench;

/// <summary>One level of the backlog workload: W1 measured while <see cref="Waiting"/> tasks wait (and <see cref="Delayed"/> are scheduled) in its queue.</summary>
internal sealed record BacklogLevel(long Waiting, long Delayed, W1Result W1, long RssBytes, long? StoreBytes, long StoredTasks)
{
    public double? StoreBytesPerTask => StoreBytes is { } b && StoredTasks > 0 ? (double)b / StoredTasks : null;

    /// <summary>
    /// backlog: the bench process's CPU (user + sys) over all three phases of this level's W1, per task
    /// (each enqueued once and processed once). With a SQLite store the store runs in this process, so
    /// this is the whole cost of a task; under load it moves far less than the rates do.
    /// </summary>
    public double CpuMicrosPerTask { get; init; }

    /// <summary>backlog: Redis's own CPU (<c>INFO cpu</c>) over the same phases, per task; null for SQLite.</summary>
    public double? RedisCpuMicrosPerTask { get; init; }
}

/// <summary>
/// The backlog workload (issue 15, "cost as the work grows"): W1 run again and again in ONE queue
/// that holds a growing backlog of waiting tasks (10k, 100k, 1M by default), then 1M delayed tasks
/// more. The backlog is submitted at the lowest priority and W1's tasks one above it, so the worker
/// takes W1's tasks first while the backlog stays in the same ready index the lease reads (the
/// demanding case; a backlog in another queue would cost a lease nothing). Delayed tasks are due in a
/// day, in the same queue, so every lease walks past a million scheduled entries.
/// Store size per task: what the store grew by since the workload began (the file and its WAL for
/// SQLite, <c>used_memory</c> for Redis) over every task it now holds (the warm-up's, W1's, the backlog).
/// The bench's own memory stays bounded: the backlog is generated and submitted in batches of
/// <see cref="FillBatch"/>, and no id of it is kept.
/// </summary>
internal sealed class BacklogBench(BenchRunner runner, IBenchTarget target, BenchProgress progress, Func<Task<long?>> storeBytes, RedisCostMeter? meter = null)
{
    public const int FillBatch = 5_000;
    private const int BacklogPriority = TaskDefaults.MinPriority;
    private static readonly JsonElement NoArgs = JsonDocument.Parse("{}").RootElement.Clone();

    public async Task<IReadOnlyList<BacklogLevel>> Run(IReadOnlyList<int> waitingLevels, int delayed, CancellationToken ct)
    {
        var baseline = await storeBytes().ConfigureAwait(false);
        long stored = await runner.WarmUp(ct).ConfigureAwait(false);
        var queue = $"bench-backlog-{Guid.NewGuid().ToString("N")[..8]}";
        var levels = new List<BacklogLevel>();
        long waiting = 0, scheduled = 0;
        var backlogRan = 0;
        // A backlog task the worker reaches after W1's last one (prefetch, before the pool stops) runs
        // as a no-op and is counted off the backlog, so "waiting" stays what really waits.
        void handlers(HandlerRegistry registry) => registry.Add("backlog", (JsonElement _, TaskContext _) =>
        {
            Interlocked.Increment(ref backlogRan);
            return ValueTask.FromResult<object?>(null);
        });

        async Task Measure()
        {
            progress.Phase($"Backlog: W1 with {waiting} waiting and {scheduled} delayed tasks in its queue");
            var redis0 = meter is null ? (RedisCostMeter.Sample?)null : await meter.Take().ConfigureAwait(false);
            var cpu0 = CpuTime();
            var w1 = await runner.RunW1In(queue, BacklogPriority + 1, ct, handlers).ConfigureAwait(false);
            var cpu = CpuTime() - cpu0;
            var redis = meter is null ? (RedisCostMeter.Sample?)null : await meter.Take().ConfigureAwait(false);
            stored += w1.Processed;
            waiting -= Interlocked.Exchange(ref backlogRan, 0);
            using var self = Process.GetCurrentProcess();
            var bytes = await storeBytes().ConfigureAwait(false);
            var tasks = Math.Max(1, w1.Processed);
            levels.Add(new BacklogLevel(waiting, scheduled, w1, self.WorkingSet64, bytes - baseline, stored)
            {
                CpuMicrosPerTask = cpu.TotalMicroseconds / tasks,
                RedisCpuMicrosPerTask = redis is { } r1 && redis0 is { } r0 ? (r1.CpuSeconds - r0.CpuSeconds) * 1e6 / tasks : null,
            });
        }

        foreach (var level in waitingLevels.Order())
        {
            var add = level - waiting;
            if (add > 0) await Fill(queue, add, delay: null, "waiting", ct).ConfigureAwait(false);
            waiting += Math.Max(0, add);
            stored += Math.Max(0, add);
            await Measure().ConfigureAwait(false);
        }
        if (delayed > 0)
        {
            await Fill(queue, delayed, delay: TimeSpan.FromDays(1), "delayed", ct).ConfigureAwait(false);
            scheduled += delayed;
            stored += delayed;
            await Measure().ConfigureAwait(false);
        }
        return levels;
    }

    private static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private async Task Fill(string queue, long count, TimeSpan? delay, string what, CancellationToken ct)
    {
        progress.Phase($"Backlog: submitting {count} {what} tasks in batches of {FillBatch}");
        var batch = new TaskSubmission[FillBatch];
        for (long done = 0; done < count; done += FillBatch)
        {
            var size = (int)Math.Min(FillBatch, count - done);
            if (size != batch.Length) batch = new TaskSubmission[size];
            for (var j = 0; j < size; j++)
                batch[j] = new TaskSubmission { Type = "backlog", Queue = queue, Args = NoArgs, Priority = BacklogPriority, Delay = delay };
            await target.SubmitMany(batch, ct).ConfigureAwait(false);
            progress.Tick($"Backlog fill ({what})", done + size, count);
        }
        progress.Done();
    }
}
