using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// A network partition between a worker and its broker: worker A runs in a network namespace the
/// test creates and reaches the broker over a veth pair (the broker listens on this side's private
/// address, with tokens, as any broker off loopback must); worker B runs on this machine. While A
/// holds leases, nftables inside the namespace drops every packet for 15 s. A backs off and logs
/// plainly (one line per failure, no stack trace); its leases (4 s) expire and B runs those tasks;
/// after healing A's late acknowledgements are fenced and A carries on. The loss checker: nothing
/// lost, nothing unexpected, every second run after an expired lease. About 40 s per store; its own
/// collection, free ports, temp dirs.
/// </summary>
[Collection(nameof(WorkerBrokerPartitionTests))]
public sealed class WorkerBrokerPartitionTests(ITestOutputHelper output) : IDisposable
{
    private const string AdminSecret = "partition-admin-secret-0123456789";
    private const string WorkSecret = "partition-work-secret-0123456789";

    private readonly TestEnvironment _env = new();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task A_partitioned_worker_backs_off_its_leases_expire_and_the_tasks_run_elsewhere_without_a_run_twice_before_expiry(string storeKind)
    {
        using var ns = NetworkNamespace.Create();
        using var redis = storeKind == "redis" ? new RedisServer(Path.Combine(_env.Directory, "redis")) : null;
        redis?.Start();
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        var url = $"http://{ns.HostAddress}:{port}";
        string logA = FaultSupport.ExecutionLog(_env, "a"), logB = FaultSupport.ExecutionLog(_env, "b");
        var tokens = new Dictionary<string, string> { ["CONVEYOR_TOKENS"] = $"admin:{AdminSecret},work:{WorkSecret}" };
        await using var server = ConveyorProcess.Start(_env.Directory, tokens, "server", "--host", ns.HostAddress, "--port", port, "--store", redis?.Url ?? _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running");
        var (client, http) = TestEnvironment.Client(url, AdminSecret);
        using var disposeHttp = http;
        var workerEnv = (string log) => new Dictionary<string, string>(Histories.ExecutionLogEnv(log)) { ["CONVEYOR_TOKEN"] = WorkSecret };
        string[] workerArgs = ["worker", "--broker", url, "--concurrency", "4", "--lease-duration", "4s"];
        await using var workerA = ConveyorProcess.StartWrapped(ns.Exec, _env.Directory, workerEnv(logA), workerArgs);
        await workerA.WaitForOutput("worker ");
        var log = new SubmissionLog();
        var sleep = JsonDocument.Parse("{\"ms\":2000}").RootElement.Clone();
        Assert.True(await log.SubmitMany(client, [.. Enumerable.Range(0, 40).Select(_ => new TaskSubmission { Type = "sleep", Args = sleep })]), log.LastProblem?.Message);
        ConveyorProcess? workerB = null;
        try
        {
            // Frozen while it runs them, cut off, then continued: it holds them across the partition.
            var held = await FaultSupport.PauseRunning(client, workerA, logA, atLeast: 2);
            ns.Partition();
            workerA.Resume();
            output.WriteLine($"partitioned worker A ({ns.InsideAddress}) | broker ({ns.HostAddress}) while A holds {held.Count} tasks");
            workerB = ConveyorProcess.Start(_env.Directory, workerEnv(logB), workerArgs);
            // A's leases expire (4 s) and B runs those tasks while A cannot reach the broker.
            await CrashRecoveryTests.WaitUntil(async () => (await Task.WhenAll(held.Select(id => client.Get(id)))).All(t => t!.State == TaskState.Succeeded),
                TimeSpan.FromSeconds(60), "worker A's tasks succeeded on worker B");
            await Task.Delay(TimeSpan.FromSeconds(6)); // a partition of ~15 s in all
            ns.Heal();
            output.WriteLine("healed");
            Assert.True(await log.SubmitMany(client, [.. Enumerable.Range(0, 40).Select(_ => new TaskSubmission { Type = "sleep", Args = sleep })]), log.LastProblem?.Message);
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(90));
            // A carries on: it works again once it reaches the broker.
            await CrashRecoveryTests.WaitUntil(() => Task.FromResult(Histories.ReadExecutions(logA).Count > held.Count), TimeSpan.FromSeconds(60), "worker A ran tasks again after healing");
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(60));

            foreach (var id in held)
            {
                var t = (await client.Get(id))!;
                Assert.Equal(AttemptOutcome.LeaseExpired, t.Attempts[0].Outcome);
                Assert.Equal(AttemptOutcome.Succeeded, t.Attempts[^1].Outcome);
            }
            var failures = workerA.Output.Split('\n').Where(l => l.Contains("failed", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(failures);
            Assert.DoesNotContain("   at ", workerA.Output, StringComparison.Ordinal); // plain lines, no stack traces
            Assert.False(workerA.HasExited, $"worker A gave up:\n{workerA.Output}");
            output.WriteLine($"worker A while partitioned (first of {failures.Count}): {failures[0].Trim()}");

            var report = await Histories.Check(client, log, logA, logB);
            output.WriteLine($"{storeKind} partition worker|broker for ~15 s (4 s leases), healed: {report}");
            report.AssertSafe();
            Assert.True(report.DuplicatedAfterExpiredLease >= 1, report.ToString());
        }
        catch
        {
            FaultSupport.Dump(output, ("server", server), ("worker A", workerA), ("worker B", workerB));
            throw;
        }
        finally
        {
            if (workerB is not null) await workerB.DisposeAsync();
        }
    }


    public void Dispose() => _env.Dispose();
}
