using Conveyor.EndToEnd.Tests.Faults;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// parked: a worker straight on Redis, parked (waiting with nothing to do: its park record stands in the
/// queue's "pk" set, where an enqueue leases a task to it directly), is killed with SIGKILL; tasks are
/// submitted at once, while its park may still stand, and a second worker starts. Nothing is stranded:
/// every task succeeds, a task the dead worker's park took being reclaimed when its 3 s lease expires.
/// About 10-20 s; its own collection (own Redis, free ports, own directory).
/// </summary>
[Collection(nameof(ParkedWorkerKillTests))]
public sealed class ParkedWorkerKillTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_parked_worker_killed_with_kill_9_strands_no_task()
    {
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        redis.Start();
        var (port, url) = FaultSupport.Loopback();
        await using var broker = await FaultSupport.StartBroker(_env, port, redis.Url);
        await using var victim = ConveyorProcess.Start(_env.Directory, "worker", "--store", redis.Url, "--concurrency", "2", "--lease-duration", "3s");
        ConveyorProcess? survivor = null;
        try
        {
            var (client, http) = TestEnvironment.Client(url);
            using var _ = http;
            await victim.WaitForOutput("worker ");
            await CrashRecoveryTests.WaitUntil(() => Task.FromResult(redis.Command("ZCARD", "conveyor:{q:default}:pk") != ":0"), TimeSpan.FromSeconds(30), "the worker parked");
            victim.Kill9();
            Assert.True((await client.SubmitMany(FaultSupport.Noops(20))).All(r => r.Created));
            output.WriteLine($"after the kill: {redis.Command("ZCARD", "conveyor:{q:default}:running")} running, park records {redis.Command("ZCARD", "conveyor:{q:default}:pk")}");

            survivor = ConveyorProcess.Start(_env.Directory, "worker", "--store", redis.Url, "--concurrency", "2", "--lease-duration", "3s");
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(90));
            var done = await client.List(new TaskListParams(State: TaskState.Succeeded, Limit: 100));
            Assert.Equal(20, done.Items.Count);
            var victimTook = done.Items.Count(t => t.Attempts.Any(a => a.WorkerId?.Contains($":{victim.Pid}:", StringComparison.Ordinal) == true));
            output.WriteLine($"20 succeeded; {victimTook} had been leased to the killed worker's park and ran again after its lease expired");
            Assert.All(done.Items.Where(t => t.Attempts.Any(a => a.WorkerId?.Contains($":{victim.Pid}:", StringComparison.Ordinal) == true)), t => Assert.Equal(2, t.Attempt));
        }
        catch
        {
            FaultSupport.Dump(output, ("broker", broker), ("victim", victim), ("survivor", survivor));
            throw;
        }
        finally
        {
            if (survivor is not null) await survivor.DisposeAsync();
        }
    }

    public void Dispose() => _env.Dispose();
}
