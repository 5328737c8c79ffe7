using System.Diagnostics;
using System.Globalization;
using Conveyor.Client;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// A network partition between a broker and Redis: redis-server runs in a network namespace the test
/// creates, the broker and an HTTP worker on this machine, and nftables inside the namespace drops
/// every packet for 12 s, then lets them through again. Clients of the broker get prompt problems
/// (503 <c>unavailable</c> when the command never reached Redis, 504 <c>store-timeout</c> when it was
/// sent and unanswered: unknown), each within the store's 3 s command timeout plus a little, never a
/// hang; <c>/readyz</c> answers 503; after healing everything resumes by itself; the loss checker finds
/// nothing acknowledged lost. About 45 s; its own collection (parallel with other tests), free ports, temp dirs.
/// </summary>
[Collection(nameof(BrokerRedisPartitionTests))]
public sealed class BrokerRedisPartitionTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Longest any request may take during the partition: the 3 s command timeout, the broker's own work, a loaded CI machine.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(8);

    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Clients_get_prompt_503s_readyz_fails_nothing_acknowledged_is_lost_and_all_resumes_after_healing()
    {
        using var ns = NetworkNamespace.Create();
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"), ns.InsideAddress, ns.Exec, "--protected-mode", "no");
        redis.Start();
        var (port, url) = FaultSupport.Loopback();
        var executions = FaultSupport.ExecutionLog(_env);
        await using var server = await FaultSupport.StartBroker(_env, port, redis.Url);
        await using var worker = FaultSupport.StartWorker(_env, executions, "--broker", url, "--concurrency", "8", "--lease-duration", "5s");
        // A client timeout far past the bound, so that a hang shows as a slow answer rather than a cut one.
        using var http = new HttpClient { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromSeconds(60) };
        var client = new ConveyorClient(http);
        var log = new SubmissionLog();
        var slowest = TimeSpan.Zero;
        var partitioned = 0;
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        try
        {
            using var stop = new CancellationTokenSource();
            var submitter = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var started = Stopwatch.GetTimestamp();
                    var ok = await log.SubmitMany(client, FaultSupport.Noops(10));
                    var took = Stopwatch.GetElapsedTime(started);
                    if (Volatile.Read(ref partitioned) == 1)
                    {
                        if (took > slowest) slowest = took;
                        statuses.AddOrUpdate(ok ? "acknowledged" : log.LastProblem is { } p ? $"{p.Status} {p.Type}" : "no answer", 1, (_, n) => n + 1);
                    }
                    await Task.Delay(50);
                }
            });
            await CrashRecoveryTests.WaitUntil(() => Task.FromResult(log.Count(SubmitOutcome.Acknowledged) >= 200), TimeSpan.FromSeconds(60), "200 acknowledged");

            ns.Partition();
            Volatile.Write(ref partitioned, 1);
            output.WriteLine($"partitioned broker | redis ({ns.InsideAddress}) at {log.Count(SubmitOutcome.Acknowledged)} acknowledged");
            var readyz = await FaultSupport.WaitForReadyz(http, ready: false, TimeSpan.FromSeconds(15));
            output.WriteLine($"/readyz while partitioned: {readyz}");
            await Task.Delay(TimeSpan.FromSeconds(12));
            var refusedWhilePartitioned = log.Count(SubmitOutcome.Refused);
            var unknownWhilePartitioned = log.Count(SubmitOutcome.Unknown);
            ns.Heal();
            Volatile.Write(ref partitioned, 0);
            output.WriteLine($"healed; during the partition: {string.Join(", ", statuses.Select(kv => $"{kv.Key} x{kv.Value}"))}; slowest answer {slowest.TotalSeconds:0.0} s");

            var before = log.Count(SubmitOutcome.Acknowledged);
            await CrashRecoveryTests.WaitUntil(() => Task.FromResult(log.Count(SubmitOutcome.Acknowledged) >= before + 200), TimeSpan.FromSeconds(90), "200 more acknowledged after healing");
            await stop.CancelAsync();
            await submitter;
            await FaultSupport.WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(30));

            Assert.Contains("\"reason\":\"store_unreachable\"", readyz, StringComparison.Ordinal);
            Assert.True(refusedWhilePartitioned + unknownWhilePartitioned > 0, "no submission was refused while the broker could not reach Redis");
            Assert.True(statuses.Keys.Any(k => k.StartsWith("503 ", StringComparison.Ordinal)), $"no 503 during the partition: {string.Join(", ", statuses.Keys)}");
            Assert.True(statuses.Keys.All(k => k.StartsWith("503 ", StringComparison.Ordinal) || k.StartsWith("504 ", StringComparison.Ordinal) || k == "acknowledged"),
                $"answers other than 503/504 during the partition: {string.Join(", ", statuses.Keys)}");
            Assert.True(slowest < Prompt, $"a submission took {slowest.TotalSeconds:0.0} s during the partition (bound {Prompt.TotalSeconds} s)");
            Assert.DoesNotContain("Unhandled error", server.Output, StringComparison.Ordinal);

            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(90));
            var report = await Histories.Check(client, log, executions);
            output.WriteLine($"redis partition broker|redis for 12 s, healed: {report}");
            report.AssertSafe();
            Assert.False(worker.HasExited, $"the worker gave up:\n{worker.Output}");
        }
        catch
        {
            FaultSupport.Dump(output, ("server", server), ("worker", worker));
            throw;
        }
    }

    public void Dispose() => _env.Dispose();
}
