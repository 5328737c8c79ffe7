using System.CommandLine;
using Conveyor.Cli.Bench;
using Conveyor.Cli.Infrastructure;
using Conveyor.Engine;
using Conveyor.Redis;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor bench</c>: measures W1 (throughput), W2 (pickup latency) and W3 (I/O-bound) on a
/// store (<c>--store</c>; a fresh temporary SQLite file by default) or through a broker
/// (<c>--broker</c>). One line per workload, the same format for every target; <c>--json</c> for
/// a machine-readable report. Speed is reported here, never asserted by a test.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var store = new Option<string?>("--store") { Description = "SQLite file, :memory:, redis://host:port, or rabbitmq://…?records=redis://… (default: a fresh temporary SQLite file)" };
        var tasks = new Option<int>("--tasks", "-n") { Description = "W1: tasks enqueued one call each, and as many again in batches (default 10000); W4: tasks the store is filled with (default 1000000)", DefaultValueFactory = _ => 10_000 };
        var warmup = new Option<int?>("--warmup") { Description = "W1: tasks run unmeasured first, so the measured phases see a warm process (default: as many as W1 runs, 2 x --tasks; 0: cold)" };
        var workloads = new Option<string>("--workloads") { Description = "Which workloads to run: w1,w2,w3 (default), w4 (the dashboard's reads over a store filled with --tasks tasks; needs --store), and w2x (W2 with a conveyor worker in another process on the same SQLite file)", DefaultValueFactory = _ => "w1,w2,w3" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress display" };
        // perf: the backlog workload (BacklogBench).
        var backlog = new Option<string>("--backlog") { Description = "backlog: the numbers of waiting tasks W1 is measured beside, in its own queue (default 10000,100000,1000000)", DefaultValueFactory = _ => "10000,100000,1000000" };
        var backlogDelayed = new Option<int>("--backlog-delayed") { Description = "backlog: delayed tasks added after the last level, then W1 measured once more (default 1000000; 0: none)", DefaultValueFactory = _ => 1_000_000 };
        var runs = new Option<int>("--runs") { Description = "Run W1, W2 and W3 this many times in one process and report each figure's min/median/max (default 1)", DefaultValueFactory = _ => 1 };
        var limit = new Option<string>("--w1-limit")
        {
            Description = "W1 with limits: off (default); meta (each task has one of 4 tenants in its metadata, no limit); unhit (and a per-tenant concurrency limit never reached); hit (and 2 running per tenant: 8 of the 10 slots)",
            DefaultValueFactory = _ => "off",
        };
        var command = new Command("bench", "Measure throughput and latency of a store or a broker") { store, tasks, warmup, workloads, quiet, backlog, backlogDelayed, runs, limit };
        command.SetRun(async (r, ct) =>
        {
            var n = r.GetValue(tasks);
            var wanted = r.GetValue(workloads)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(w => w.ToLowerInvariant()).ToHashSet();
            foreach (var w in wanted)
                if (w is not ("w1" or "w2" or "w3" or "w4" or "w2x" or "backlog")) throw new CliException($"--workloads: '{w}' is not one of w1, w2, w3, w4, w2x, backlog");
            var backlogLevels = wanted.Contains("backlog") ? BacklogOptions.ParseLevels(r.GetValue(backlog)!) : [];
            var delayedCount = r.GetValue(backlogDelayed);
            if (delayedCount is < 0 or > 10_000_000) throw new CliException($"--backlog-delayed must be between 0 and 10000000; got {delayedCount}");
            if (wanted.Contains("backlog") && r.GetValue(GlobalOptions.Broker) is not null) throw new CliException("backlog measures a store as it fills: give --store, not --broker");
            // W4 fills a million tasks unless --tasks says otherwise; W1's default stays 10,000.
            var w4Tasks = r.GetResult(tasks) is { Implicit: false } ? n : 1_000_000;
            if (wanted.Contains("w4") && w4Tasks is < 1 or > 10_000_000) throw new CliException($"--tasks must be between 1 and 10000000 for w4; got {w4Tasks}");
            if (wanted.Any(w => w is not ("w4" or "backlog")) && n is < 1 or > 1_000_000) throw new CliException($"--tasks must be between 1 and 1000000; got {n}");
            if (wanted.Contains("w4") && r.GetValue(GlobalOptions.Broker) is not null) throw new CliException("w4 measures a store's reads: give --store, not --broker");
            if (wanted.Contains("w2x") && r.GetValue(GlobalOptions.Broker) is not null) throw new CliException("w2x runs a worker on the same SQLite file: give --store FILE (or nothing), not --broker");
            var runCount = r.GetValue(runs);
            if (runCount is < 1 or > 50) throw new CliException($"--runs must be between 1 and 50; got {runCount}");
            var warm = r.GetValue(warmup);
            if (warm is < 0 or > 2_000_000) throw new CliException($"--warmup must be between 0 and 2000000; got {warm}");
            var limitMode = r.GetValue(limit)!.ToLowerInvariant();
            if (limitMode is not ("off" or "meta" or "unhit" or "hit")) throw new CliException($"--w1-limit: '{limitMode}' is not one of off, meta, unhit, hit");
            var settings = new BenchSettings { W1Tasks = n, W1Warmup = warm, W1Limit = limitMode };
            var progress = new BenchProgress(r.GetValue(quiet) || Output.IsJson(r));

            string? tempFile = null;
            IBenchTarget target;
            RedisCostMeter? meter = null;
            var brokerGiven = r.GetValue(GlobalOptions.Broker) is not null;
            if (brokerGiven && r.GetValue(store) is not null) throw new CliException("give --store or --broker, not both");
            if (brokerGiven)
            {
                target = new HttpBenchTarget(GlobalOptions.ResolveBroker(r), GlobalOptions.ResolveToken(r));
            }
            else
            {
                var text = r.GetValue(store);
                if (text is null)
                {
                    tempFile = Path.Combine(Path.GetTempPath(), $"conveyor-bench-{Guid.NewGuid():N}.db");
                    text = tempFile;
                }
                var spec = StoreSpec.Parse(text);
                if (wanted.Contains("w2x") && (spec.Kind != StoreKind.Sqlite || spec.Location == Conveyor.Sqlite.SqliteStoreOptions.InMemory))
                    throw new CliException("w2x runs a worker in another process on the same file: give a SQLite file (or no --store), not " + spec);
                var opened = await StoreFactory.Open(spec, TimeProvider.System, repliesOnThreadPool: true).ConfigureAwait(false);
                target = new EngineBenchTarget(new TaskEngine(opened, TimeProvider.System), spec.ToString(), opened.DisposeAsync);
                if (opened is RedisTaskStore redis) meter = await RedisCostMeter.Open(redis, spec.Location).ConfigureAwait(false);
            }

            BenchReport report;
            await using (target)
            await using (meter)
            {
                var runner = new BenchRunner(target, settings, progress, meter);
                progress.Phase($"target {target.Name}");
                var earlier = new List<BenchReport>();
                while (true)
                {
                    report = new BenchReport
                    {
                        Target = target.Name,
                        W1 = wanted.Contains("w1") ? await runner.RunW1(ct).ConfigureAwait(false) : null,
                        W2 = wanted.Contains("w2") ? await runner.RunW2(ct).ConfigureAwait(false) : null,
                        W3 = wanted.Contains("w3") ? await runner.RunW3(ct).ConfigureAwait(false) : null,
                    };
                    if (earlier.Count + 1 >= runCount) break;
                    earlier.Add(report);
                    // perf: the later runs measure the warm process (--runs).
                    progress.Phase($"run {earlier.Count + 1} of {runCount}");
                    runner = new BenchRunner(target, settings with { W1Warmup = 0 }, progress, meter);
                }
                if (earlier.Count > 0) report = report with { EarlierRuns = earlier, Spread = BenchSpread.Of([.. earlier, report]) };
                if (wanted.Contains("backlog") && target is EngineBenchTarget backlogTarget)
                {
                    var sizeOf = BacklogOptions.StoreSize(spec: StoreSpec.Parse(r.GetValue(store) ?? tempFile), meter);
                    report = report with { Backlog = await new BacklogBench(runner, backlogTarget, progress, sizeOf, meter).Run(backlogLevels, delayedCount, ct).ConfigureAwait(false) };
                }
                if (wanted.Contains("w2x") && target is EngineBenchTarget w2xTarget) // ops
                    report = report with { W2OtherProcess = await new W2OtherProcess(w2xTarget.Engine, StoreSpec.Parse(r.GetValue(store) ?? tempFile!).Location, settings.W2Samples, progress).Run(ct).ConfigureAwait(false) };
                if (wanted.Contains("w4") && target is EngineBenchTarget dashboardTarget)
                    report = report with { W4 = await new W4Dashboard(dashboardTarget.Engine, progress).Run(w4Tasks, ct).ConfigureAwait(false) };
                if (meter is not null && report.W1 is { } w1 && target is EngineBenchTarget engineTarget)
                {
                    progress.Phase($"Redis memory: {settings.MemoryTasks} pending tasks in a scratch queue");
                    var bytes = await meter.BytesPerPendingTask(engineTarget.Engine, $"bench-mem-{Guid.NewGuid().ToString("N")[..8]}", settings.MemoryTasks, ct).ConfigureAwait(false);
                    report = report with { Redis = RedisCostOf(runner.W1Samples, n, w1.Processed, bytes) };
                }
            }
            if (tempFile is not null)
                foreach (var f in new[] { tempFile, tempFile + "-wal", tempFile + "-shm" })
                    File.Delete(f);

            if (Output.IsJson(r)) Output.Json(report);
            else foreach (var line in report.Lines()) Console.WriteLine(line);
            var lost = (report.EarlierRuns ?? []).Append(report).Any(x => x.W1 is { Lost: > 0 } || x.W3 is { Lost: > 0 });
            return lost ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static RedisCost RedisCostOf(IReadOnlyList<RedisCostMeter.Sample> s, int perPhase, int processed, double bytesPerPendingTask) => new(
        CallsPerTask: (double)(s[3].Operations - s[0].Operations) / processed,
        EnqueueSingleCallsPerTask: (double)(s[1].Operations - s[0].Operations) / perPhase,
        EnqueueBatchCallsPerTask: (double)(s[2].Operations - s[1].Operations) / perPhase,
        ProcessCallsPerTask: (double)(s[3].Operations - s[2].Operations) / processed,
        CpuMicrosPerTask: (s[3].CpuSeconds - s[0].CpuSeconds) * 1e6 / processed,
        BytesPerPendingTask: bytesPerPendingTask)
    {
        EnqueueSingleCpuMicrosPerTask = (s[1].CpuSeconds - s[0].CpuSeconds) * 1e6 / perPhase,
        EnqueueBatchCpuMicrosPerTask = (s[2].CpuSeconds - s[1].CpuSeconds) * 1e6 / perPhase,
        ProcessCpuMicrosPerTask = (s[3].CpuSeconds - s[2].CpuSeconds) * 1e6 / processed,
        // enqueue3: the part of it spent running scripts
        EnqueueSingleScriptMicrosPerTask = (s[1].ScriptSeconds - s[0].ScriptSeconds) * 1e6 / perPhase,
        EnqueueBatchScriptMicrosPerTask = (s[2].ScriptSeconds - s[1].ScriptSeconds) * 1e6 / perPhase,
        ProcessScriptMicrosPerTask = (s[3].ScriptSeconds - s[2].ScriptSeconds) * 1e6 / processed,
    };
}
