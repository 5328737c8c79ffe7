using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// Clock skew with real processes whose clocks are 30 s off (libfaketime, <c>FAKETIME=±30s</c>; the
/// monotonic clock is left alone). On Redis, two brokers 60 s apart; or a worker through a broker
/// 30 s behind and a worker straight on the store 30 s ahead (it runs maintenance too): Redis' clock
/// is the authority, so a delayed task submitted through the broker that is 30 s behind does not run
/// early, and the broker and worker 30 s ahead do not reclaim leases that are alive (12 s tasks on 8 s
/// leases, renewed every third of the lease: a lease outlives two missed renewals, so a process starved of
/// CPU on a busy 2-core machine does not lose one, while a 30 s skew would make every lease look 22 s late); or all four at once (brokers -30 s and +30 s, the HTTP worker -30 s through the
/// broker +30 s, the worker on Redis +30 s). Workers prefetch as by default. On
/// SQLite (one file, one machine, one clock: the broker's) a broker 30 s ahead and workers ±30 s off:
/// a delay is measured on the broker's clock alone and workers' clocks play no part. The loss checker
/// finds no loss, no duplicate and no expired lease. About 40-50 s per case (four cases); its own collection.
/// </summary>
[Collection(nameof(ClockSkewTests))]
public sealed class ClockSkewTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan DelayedBy = TimeSpan.FromSeconds(20);
    private readonly TestEnvironment _env = new();

    [Theory]
    [InlineData("brokers")]
    [InlineData("workers")]
    [InlineData("all")]
    public async Task On_redis_brokers_or_workers_30s_off_neither_run_a_delayed_task_early_nor_take_a_live_lease(string skewed)
    {
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        redis.Start();
        string portA = Port(), portB = Port();
        string urlA = $"http://127.0.0.1:{portA}", urlB = $"http://127.0.0.1:{portB}";
        string log1 = Log("w1"), log2 = Log("w2");
        bool brokers = skewed != "workers", workers = skewed != "brokers";
        await using var brokerBehind = ConveyorProcess.Start(_env.Directory, Skewed(brokers ? "-30s" : "0s"), "server", "--port", portA, "--store", redis.Url);
        await using var brokerAhead = ConveyorProcess.Start(_env.Directory, Skewed(brokers ? "+30s" : "0s"), "server", "--port", portB, "--store", redis.Url);
        await brokerBehind.WaitForOutput("Conveyor is running");
        await brokerAhead.WaitForOutput("Conveyor is running");
        await using var httpWorker = ConveyorProcess.Start(_env.Directory, Skewed(workers ? "-30s" : "0s", log1), "worker", "--broker", urlB, "--concurrency", "8", "--lease-duration", "8s");
        await using var storeWorker = ConveyorProcess.Start(_env.Directory, Skewed(workers ? "+30s" : "0s", log2), "worker", "--store", redis.Url, "--concurrency", "8", "--lease-duration", "8s");
        ConveyorProcess[] all = [brokerBehind, brokerAhead, httpWorker, storeWorker];
        try
        {
            // Each skewed process measured its clock against Redis' (and so libfaketime took effect).
            if (brokers)
            {
                await brokerAhead.WaitForOutput("s ahead of Redis' clock", TimeSpan.FromSeconds(20));
                await brokerBehind.WaitForOutput("s behind Redis' clock", TimeSpan.FromSeconds(20));
            }
            if (workers) await storeWorker.WaitForOutput("s ahead of Redis' clock", TimeSpan.FromSeconds(20));
            output.WriteLine(string.Join("\n", all.SelectMany(p => p.Output.Split('\n')).Where(l => l.Contains("Redis' clock", StringComparison.Ordinal)).Select(l => l.Trim())));
            var what = skewed switch
            {
                "brokers" => "redis (brokers -30 s and +30 s; workers on time)",
                "workers" => "redis (an HTTP worker -30 s, a worker straight on Redis +30 s; brokers on time)",
                _ => "redis (brokers -30 s and +30 s, an HTTP worker -30 s through the broker +30 s, a worker straight on Redis +30 s)",
            };
            await Scenario(urlA, what, all, log1, log2);
        }
        catch
        {
            foreach (var p in all) output.WriteLine($"--- {p.Pid} ---\n{p.Output}");
            throw;
        }
    }

    [Fact]
    public async Task On_sqlite_a_broker_30s_ahead_and_workers_30s_off_neither_run_a_delayed_task_early_nor_take_a_live_lease()
    {
        var port = Port();
        var url = $"http://127.0.0.1:{port}";
        string log1 = Log("w1"), log2 = Log("w2");
        await using var broker = ConveyorProcess.Start(_env.Directory, Skewed("+30s"), "server", "--port", port, "--store", _env.DatabasePath);
        await broker.WaitForOutput("Conveyor is running");
        await using var behind = ConveyorProcess.Start(_env.Directory, Skewed("-30s", log1), "worker", "--broker", url, "--concurrency", "8", "--lease-duration", "8s");
        await using var ahead = ConveyorProcess.Start(_env.Directory, Skewed("+30s", log2), "worker", "--broker", url, "--concurrency", "8", "--lease-duration", "8s");
        ConveyorProcess[] all = [broker, behind, ahead];
        try
        {
            await Scenario(url, "sqlite (the broker +30 s, HTTP workers -30 s and +30 s)", all, log1, log2);
        }
        catch
        {
            foreach (var p in all) output.WriteLine($"--- {p.Pid} ---\n{p.Output}");
            throw;
        }
    }

    /// <summary>
    /// 20 tasks of 12 s on 8 s leases (renewed while they run) and 20 tasks delayed by 20 s, through
    /// <paramref name="submitUrl"/>; watched on this (unskewed) machine's clock.
    /// </summary>
    private async Task Scenario(string submitUrl, string what, ConveyorProcess[] processes, params string[] logs)
    {
        var (client, http) = TestEnvironment.Client(submitUrl);
        using var disposeHttp = http;
        var log = new SubmissionLog();
        var twelve = JsonDocument.Parse("{\"ms\":12000}").RootElement.Clone();
        Assert.True(await log.SubmitMany(client, [.. Enumerable.Range(0, 20).Select(_ => new TaskSubmission { Type = "sleep", Args = twelve })]), log.LastProblem?.Message);
        var submitted = DateTimeOffset.UtcNow;
        Assert.True(await log.SubmitMany(client, [.. Enumerable.Range(0, 20).Select(_ => new TaskSubmission { Type = "noop", Delay = DelayedBy })]), log.LastProblem?.Message);
        var delayed = log.AcknowledgedIds.Skip(20).ToList();

        // Not early: until 15 s after the submission (5 s before due, far inside a 30 s skew), every delayed task is still scheduled.
        while (DateTimeOffset.UtcNow < submitted + DelayedBy - TimeSpan.FromSeconds(5))
        {
            var states = await Task.WhenAll(delayed.Select(id => client.Get(id)));
            var early = states.Where(t => t!.State != TaskState.Scheduled).ToList();
            if (early.Count > 0)
                Assert.Fail($"{early.Count} delayed tasks left 'scheduled' {(DateTimeOffset.UtcNow - submitted).TotalSeconds:0.0} s after submission (due after {DelayedBy.TotalSeconds} s): {early[0]!.State.ToWire()}");
            Assert.True(processes.All(p => !p.HasExited), "a skewed process exited");
            await Task.Delay(500);
        }
        await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(60));
        Assert.True(DateTimeOffset.UtcNow >= submitted + DelayedBy, "the delayed tasks finished before they were due");

        // No live lease taken: no attempt of any task ended lease_expired, nothing ran twice.
        var leased = (await client.List(new Conveyor.Store.TaskListParams(Limit: 1000))).Items;
        var expired = leased.Where(t => t.Attempts.Any(a => a.Outcome == AttemptOutcome.LeaseExpired)).ToList();
        if (expired.Count > 0)
            Assert.Fail($"{expired.Count} tasks lost a live lease to a skewed clock; the first: " +
                string.Join("; ", expired[0].Attempts.Select(a => $"{a.Outcome} by {a.WorkerId} {a.StartedAt:HH:mm:ss.fff}-{a.FinishedAt:HH:mm:ss.fff} {a.Error?.Message}")));
        var report = await Histories.Check(client, log, logs);
        output.WriteLine($"clock skew ±30 s on {what}: {report}");
        report.AssertSafe();
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(40, report.Acknowledged);
    }

    /// <summary>The environment that runs a process on a clock <paramref name="offset"/> off this machine's (libfaketime; "0s": on time, without it).</summary>
    private static Dictionary<string, string> Skewed(string offset, string? executionLog = null)
    {
        var lib = new[] { "x86_64-linux-gnu", "aarch64-linux-gnu", "" }.Select(arch => Path.Combine("/usr/lib", arch, "faketime", "libfaketime.so.1")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("libfaketime.so.1 was not found in /usr/lib/<arch>/faketime: install the faketime package (./test.sh does)");
        var env = offset == "0s" ? [] : new Dictionary<string, string> { ["LD_PRELOAD"] = lib, ["FAKETIME"] = offset, ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1", ["FAKETIME_NO_CACHE"] = "1" };
        if (executionLog is not null) foreach (var (k, v) in Histories.ExecutionLogEnv(executionLog)) env[k] = v;
        return env;
    }

    private static string Port() => FaultSupport.Loopback().Port;

    private string Log(string name) => FaultSupport.ExecutionLog(_env, name);

    public void Dispose() => _env.Dispose();
}
