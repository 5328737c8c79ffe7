using System.Diagnostics;
using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Store;

namespace Conveyor.Cli.Bench;

/// <summary>One dashboard read of W4: how long <see cref="Calls"/> calls took.</summary>
internal sealed record W4Read(string Read, int Calls, double P50Ms, double P99Ms, double MaxMs);

/// <summary>W4: the fill (how many tasks, how fast) and each dashboard read's latency over that store.</summary>
internal sealed record W4Result(int Tasks, double FillSeconds, IReadOnlyList<W4Read> Reads);

/// <summary>
/// W4, the dashboard at scale: fills the store with N tasks across states through the engine, the way
/// they would get there (batch submit, then lease and complete, fail or cancel), in chunks of 10,000
/// so memory stays bounded and every state is spread along the id order as in a long-lived store; then
/// times each read the dashboard makes, one after another (not concurrently: the latency of one read).
/// Per chunk: 88 % succeeded, 4 % dead, 1 % cancelled, 2 % scheduled (in an hour), 5 % left pending;
/// three queues and three types; a few tasks left running and a few live workers at the end.
/// </summary>
internal sealed class W4Dashboard(TaskEngine engine, BenchProgress progress)
{
    private const int Chunk = 10_000;
    private static readonly string[] Queues = ["w4-a", "w4-b", "w4-c"];
    private static readonly string[] Types = ["noop", "email.send", "report.render"];
    private static readonly JsonElement Args = JsonDocument.Parse("""{"n":1}""").RootElement.Clone();

    public int Calls { get; init; } = 200;

    /// <summary>A read slower than this in all stops early (with fewer calls, as its line says): a slow read is reported, not waited out.</summary>
    public TimeSpan BudgetPerRead { get; init; } = TimeSpan.FromSeconds(30);

    public async Task<W4Result> Run(int tasks, CancellationToken ct)
    {
        var ids = new List<string>();
        var clock = Stopwatch.StartNew();
        for (var done = 0; done < tasks; done += Chunk)
        {
            var chunkIds = await FillChunk(Queues[done / Chunk % Queues.Length], Math.Min(Chunk, tasks - done), ct).ConfigureAwait(false);
            ids.Add(chunkIds[chunkIds.Count / 2]);
            progress.Phase($"W4 fill: {Math.Min(done + Chunk, tasks)} of {tasks} tasks");
        }
        // A few running tasks and live workers, as a dashboard would see them.
        await engine.Lease(new TaskLeaseParams("w4-holder", [Queues[0]], 20, TimeSpan.FromMinutes(30), TimeSpan.Zero), ct).ConfigureAwait(false);
        for (var w = 0; w < 5; w++)
            await engine.WorkerHeartbeat(new WorkerInfo { Id = $"w4-worker-{w}", Host = "bench", Pid = w, Queues = [.. Queues], Concurrency = 10 }, ct).ConfigureAwait(false);
        var fill = clock.Elapsed.TotalSeconds;

        var reads = new List<W4Read>
        {
            await Time("QueueList", _ => engine.QueueList(ct).AsTask(), ct).ConfigureAwait(false),
            await Time("HistoryList(60)", _ => engine.HistoryList(null, 60, ct).AsTask(), ct).ConfigureAwait(false),
        };
        foreach (var state in Enum.GetValues<TaskState>())
            reads.Add(await Time($"TaskList(state={state.ToWire()})", _ => engine.List(new TaskListParams(state), ct).AsTask(), ct).ConfigureAwait(false));
        reads.Add(await Time("TaskList(queue+state=failed)", _ => engine.List(new TaskListParams(TaskState.Failed, Queues[1]), ct).AsTask(), ct).ConfigureAwait(false));
        reads.Add(await Time("TaskList(type)", _ => engine.List(new TaskListParams(Type: Types[2]), ct).AsTask(), ct).ConfigureAwait(false));
        reads.Add(await Time("DeadLetters", _ => engine.List(new TaskListParams(TaskState.Failed), ct).AsTask(), ct).ConfigureAwait(false));
        reads.Add(await Time("TaskGet", i => engine.Get(ids[i % ids.Count], ct).AsTask(), ct).ConfigureAwait(false));
        reads.Add(await Time("WorkerList", _ => engine.WorkerList(TimeSpan.FromMinutes(1), ct).AsTask(), ct).ConfigureAwait(false));
        return new W4Result(tasks, fill, reads);
    }

    private async Task<W4Read> Time<T>(string name, Func<int, Task<T>> read, CancellationToken ct)
    {
        progress.Phase($"W4 read: {name}");
        for (var i = 0; i < 5; i++) await read(i).ConfigureAwait(false); // unmeasured: JIT and prepared statements
        var ms = new List<double>(Calls);
        var budget = Stopwatch.StartNew();
        for (var i = 0; i < Calls && budget.Elapsed < BudgetPerRead; i++)
        {
            ct.ThrowIfCancellationRequested();
            var t = Stopwatch.GetTimestamp();
            await read(i).ConfigureAwait(false);
            ms.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        var stats = new LatencyStats(ms);
        return new W4Read(name, ms.Count, stats.P50, stats.P99, stats.Max);
    }

    /// <summary>
    /// One chunk: the tasks that will end terminal go in at priority 9 and are leased at once (a lease
    /// takes priority 9 first), so the 5 % meant to stay pending (priority 0) are never leased.
    /// </summary>
    private async Task<List<string>> FillChunk(string queue, int n, CancellationToken ct)
    {
        int succeeded = n * 88 / 100, dead = n * 4 / 100, cancelled = n / 100, scheduled = n * 2 / 100;
        var leased = succeeded + dead;
        var submissions = new List<TaskSubmission>(n);
        for (var i = 0; i < n; i++)
        {
            var toLease = i < leased;
            submissions.Add(new TaskSubmission
            {
                Type = Types[i % Types.Length], Queue = queue, Args = Args, Priority = toLease ? 9 : 0, MaxAttempts = 1,
                Delay = i >= leased + cancelled && i < leased + cancelled + scheduled ? TimeSpan.FromHours(1) : null,
            });
        }
        // Shuffled, so that the states interleave along the id order.
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(submissions));
        var results = await engine.SubmitMany(submissions, ct).ConfigureAwait(false);
        var ids = results.Select(r => r.Task.Id).ToList();
        var toCancel = results.Where(r => r.Task.Priority == 0 && r.Task.State == TaskState.Pending).Take(cancelled).Select(r => r.Task.Id).ToList();
        await Task.WhenAll(toCancel.Select(id => engine.Cancel(id, ct).AsTask())).ConfigureAwait(false);
        var failLeft = dead;
        for (var got = 0; got < leased;)
        {
            var batch = await engine.Lease(new TaskLeaseParams("w4-filler", [queue], Math.Min(TaskDefaults.MaxLeaseBatch, leased - got), TimeSpan.FromMinutes(5), TimeSpan.Zero), ct).ConfigureAwait(false);
            if (batch.Count == 0) throw new InvalidOperationException($"W4 fill: the lease found nothing with {leased - got} tasks to go");
            got += batch.Count;
            var fail = batch.Take(Math.Min(failLeft, batch.Count / 10 + 1)).ToList();
            failLeft -= fail.Count;
            if (fail.Count > 0)
                await engine.FailMany(fail.Select(l => new TaskFailParams(l.Task.Id, l.LeaseToken, new TaskError("BenchError", "failed on purpose"), Retry: false)).ToList(), ct).ConfigureAwait(false);
            await engine.CompleteMany(batch.Skip(fail.Count).Select(l => new TaskCompleteParams(l.Task.Id, l.LeaseToken, null)).ToList(), ct).ConfigureAwait(false);
        }
        return ids;
    }
}
