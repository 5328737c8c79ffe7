// limits (issue 14 item 3): what an unhit concurrency limit costs the SQLite store's own TaskLease and
// TaskCompleteMany, with nothing else running: no worker pool, no engine, one caller.
//
//   dotnet sqlite-limits-probe.dll [--rounds 3] [--tasks 20000] [--lease 50] [--warmup 5000] [--file PATH] [--modes meta,unhit]
//
// One store on one fresh file (SqliteStoreOptions' defaults: WAL, synchronous FULL), two queues:
// "meta" (W1's tasks with {"tenant": "tN"}, 4 tenants in turn, no limit) and "unhit" (the same tasks,
// with the bench's limit: 1,000,000 running per metadata.tenant, never reached; --modes names them: a
// queue whose name starts with "unhit" has the limit, so "--modes meta,meta2" measures the probe's own
// floor). Each round enqueues --tasks tasks into each (batches of 500, as W1's batch phase; not
// measured; the queues filled in another order each round), then drains both a call of each in turn:
// lease --lease tasks of one, of the other, complete the first's, the second's, the next step in the
// other order (W1 on SQLite leases 50 a call and completes about 50 a batch). Around every call it reads
// the process's CPU time (user + system), the wall clock and the bytes allocated, so a change in the
// machine's speed during a round falls on both modes alike; the round's difference unhit - meta is
// the figure. A warm-up drain of --warmup tasks a queue (not reported) runs first, then a quiet second
// for the JIT's tier-1. Prints one line per mode and round and one "diff" line per round.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Conveyor.Limits;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;

var rounds = Arg("--rounds", 3);
var tasks = Arg("--tasks", 20_000);
var leaseSize = Arg("--lease", 50);
var warmup = Arg("--warmup", 5_000);
var file = ArgText("--file") ?? Path.Combine(Path.GetTempPath(), $"sqlite-limits-probe-{Guid.NewGuid():N}.db");
var inv = CultureInfo.InvariantCulture;

var args0 = JsonDocument.Parse("{}").RootElement.Clone();
var tenants = Enumerable.Range(0, 4).Select(t => (IReadOnlyDictionary<string, string>)new Dictionary<string, string> { ["tenant"] = "t" + t }).ToArray();
var store = new SqliteTaskStore(new SqliteStoreOptions { Path = file }, TimeProvider.System);
try
{
    var modes = (ArgText("--modes") ?? "meta,unhit").Split(','); // one mode alone: for a profile of it
    foreach (var mode in modes)
        if (mode.StartsWith("unhit", StringComparison.Ordinal))
            await store.QueueLimitSet(mode, new QueueLimit("bench-tenant", "metadata.tenant", Concurrency: 1_000_000));
    Console.WriteLine(string.Create(inv, $"sqlite-limits-probe file={file} rounds={rounds} tasks={tasks} lease={leaseSize} warmup={warmup} assembly={typeof(SqliteTaskStore).Assembly.Location}"));
    await Round(0, warmup, report: false);
    await Task.Delay(TimeSpan.FromSeconds(1));
    for (var r = 1; r <= rounds; r++) await Round(r, tasks, report: true);

    async Task Round(int round, int n, bool report)
    {
        var now = DateTimeOffset.UtcNow;
        var seq = 0;
        for (var q = 0; q < modes.Length; q++)
        {
            var mode = modes[(q + round) % modes.Length]; // each round fills them in another order
            for (var i = 0; i < n; i += 500)
            {
                var batch = new TaskRecord[Math.Min(500, n - i)];
                for (var j = 0; j < batch.Length; j++)
                    batch[j] = new TaskRecord
                    {
                        Id = Guid.CreateVersion7().ToString(), Type = "noop", Queue = mode, Args = args0, State = TaskState.Pending,
                        Metadata = tenants[seq++ % tenants.Length], CreatedAt = now, ScheduledFor = now,
                    };
                await store.TaskEnqueueMany(batch);
            }
        }
        var m = modes.Select(_ => new Meter()).ToArray();
        var open = modes.Length;
        var leased = new IReadOnlyList<LeasedTask>[modes.Length];
        for (var step = 0; open > 0; step++)
        {
            open = 0;
            // Each step in the other order, so that neither mode always follows the other (which one pays
            // for the WAL's checkpoints, or for the other's pages in the cache, would otherwise be fixed).
            int[] order = step % 2 == 0 ? [.. Enumerable.Range(0, modes.Length)] : [.. Enumerable.Range(0, modes.Length).Reverse()];
            foreach (var k in order)
            {
                var p = new TaskLeaseParams("probe", [modes[k]], leaseSize, TimeSpan.FromMinutes(5), TimeSpan.Zero);
                var t0 = Sample.Now();
                leased[k] = await store.TaskLease(p);
                m[k].Lease.Add(t0, Sample.Now(), leased[k].Count);
            }
            foreach (var k in order)
            {
                if (leased[k].Count == 0) continue;
                open++;
                var items = new TaskCompleteParams[leased[k].Count];
                for (var i = 0; i < items.Length; i++) items[i] = new TaskCompleteParams(leased[k][i].Task.Id, leased[k][i].LeaseToken, null);
                var t0 = Sample.Now();
                var acks = await store.TaskCompleteMany(items);
                m[k].Complete.Add(t0, Sample.Now(), items.Length);
                if (acks.Any(a => a.Outcome != AckOutcome.Ok)) throw new InvalidOperationException($"{modes[k]}: a completion was not Ok");
            }
        }
        if (!report) return;
        for (var k = 0; k < modes.Length; k++)
        {
            var (l, c) = (m[k].Lease, m[k].Complete);
            Console.WriteLine(string.Create(inv,
                $"round={round} mode={modes[k]} tasks={c.Tasks} leases={l.Calls} completes={c.Calls} cpu_us_per_task: lease={l.CpuPerTask:F2} complete={c.CpuPerTask:F2} both={l.CpuPerTask + c.CpuPerTask:F2} wall_us_per_task: lease={l.WallPerTask:F2} complete={c.WallPerTask:F2} both={l.WallPerTask + c.WallPerTask:F2} alloc_b_per_task: lease={l.AllocPerTask:F0} complete={c.AllocPerTask:F0} both={l.AllocPerTask + c.AllocPerTask:F0}"));
        }
        if (modes.Length != 2) return;
        double Both(Meter x, Func<Part, double> f) => f(x.Lease) + f(x.Complete);
        var (a, b) = (m[0], m[1]);
        var cpu = Both(b, x => x.CpuPerTask) - Both(a, x => x.CpuPerTask);
        Console.WriteLine(string.Create(inv,
            $"round={round} diff {modes[1]}-{modes[0]} cpu_us_per_task={cpu:F2} ({100 * cpu / Both(a, x => x.CpuPerTask):F1} %) lease={b.Lease.CpuPerTask - a.Lease.CpuPerTask:F2} complete={b.Complete.CpuPerTask - a.Complete.CpuPerTask:F2} wall_us_per_task={Both(b, x => x.WallPerTask) - Both(a, x => x.WallPerTask):F2} ({100 * (Both(b, x => x.WallPerTask) - Both(a, x => x.WallPerTask)) / Both(a, x => x.WallPerTask):F1} %) alloc_b_per_task={Both(b, x => x.AllocPerTask) - Both(a, x => x.AllocPerTask):F0}"));
    }
}
finally
{
    await store.DisposeAsync();
    if (ArgText("--file") is null) foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
}

int Arg(string name, int fallback) => ArgText(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
string? ArgText(string name) { var i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

/// <summary>The process's CPU time, the wall clock and the bytes allocated, at one instant.</summary>
internal readonly record struct Sample(TimeSpan Cpu, long Wall, long Alloc)
{
    public static Sample Now()
    {
        var u = Environment.CpuUsage;
        return new Sample(u.UserTime + u.PrivilegedTime, Stopwatch.GetTimestamp(), GC.GetTotalAllocatedBytes(precise: true));
    }
}

internal sealed class Part
{
    public long Calls, Tasks, Alloc, Wall;
    public TimeSpan Cpu;

    public void Add(Sample from, Sample to, int n)
    {
        if (n == 0) return; // the last, empty lease of a drained queue
        Calls++;
        Tasks += n;
        Cpu += to.Cpu - from.Cpu;
        Wall += to.Wall - from.Wall;
        Alloc += to.Alloc - from.Alloc;
    }

    public double CpuPerTask => Cpu.TotalMicroseconds / Tasks;
    public double WallPerTask => Wall * 1e6 / Stopwatch.Frequency / Tasks;
    public double AllocPerTask => (double)Alloc / Tasks;
}

internal sealed class Meter
{
    public Part Lease { get; } = new();
    public Part Complete { get; } = new();
}
