using System.Globalization;
using Conveyor.Client.Protocol;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// Redis faults with real processes on a real redis-server: an eviction policy that can drop keys
/// (refused at start; reported by /readyz when changed while running), and Redis refusing writes at
/// maxmemory with noeviction (507, one log line, nothing half-written, recovery by itself).
/// </summary>
public sealed class RedisFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_redis_that_may_evict_keys_is_refused_at_start_and_reported_by_readyz_when_set_while_running()
    {
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"), "--maxmemory-policy", "allkeys-lru");
        redis.Start();
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        foreach (var args in new[] { new[] { "server", "--port", port, "--store", redis.Url }, ["worker", "--store", redis.Url], ["up", "--port", port, "--store", redis.Url] })
        {
            var (exit, text) = await ConveyorProcess.Run(_env.Directory, args);
            output.WriteLine($"conveyor {args[0]}: exit {exit}: {text.Trim()}");
            Assert.NotEqual(0, exit);
            Assert.Contains("maxmemory-policy allkeys-lru", text, StringComparison.Ordinal);
            Assert.Contains("noeviction", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Conveyor is running", text, StringComparison.Ordinal);
        }

        Assert.Equal("+OK", redis.Command("CONFIG", "SET", "maxmemory-policy", "noeviction"));
        var url = $"http://127.0.0.1:{port}";
        await using var server = await FaultSupport.StartBroker(_env, port, redis.Url);
        var (_, http) = TestEnvironment.Client(url);
        using var disposeHttp = http;
        await FaultSupport.WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(10));

        Assert.Equal("+OK", redis.Command("CONFIG", "SET", "maxmemory-policy", "volatile-lru"));
        var body = await FaultSupport.WaitForReadyz(http, ready: false, TimeSpan.FromSeconds(20));
        output.WriteLine($"/readyz after CONFIG SET volatile-lru: {body}");
        Assert.Contains("\"reason\":\"eviction_policy\"", body, StringComparison.Ordinal);
        Assert.Contains("volatile-lru", body, StringComparison.Ordinal);
        await server.WaitForOutput("maxmemory-policy volatile-lru", TimeSpan.FromSeconds(20)); // the maintenance loop's warning

        Assert.Equal("+OK", redis.Command("CONFIG", "SET", "maxmemory-policy", "noeviction"));
        await FaultSupport.WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(20));
        await FaultSupport.AssertSaidOnce(server, "is not ready (eviction_policy)");
    }

    [Fact]
    public async Task A_managed_redis_that_hides_its_policy_gets_one_warning_and_conveyor_carries_on()
    {
        // As on managed Redis where CONFIG (and here even INFO) is disabled: the policy cannot be read.
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"), "--rename-command", "CONFIG", "", "--rename-command", "INFO", "");
        redis.Start();
        var port = TestEnvironment.FreePort().ToString(CultureInfo.InvariantCulture);
        await using var server = await FaultSupport.StartBroker(_env, port, redis.Url);
        var (client, http) = TestEnvironment.Client($"http://127.0.0.1:{port}");
        using var disposeHttp = http;
        await FaultSupport.WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(10)); // a second read of the policy
        Assert.True((await client.Submit("noop")).Created);
        output.WriteLine(server.Output);
        await FaultSupport.AssertSaidOnce(server, "Cannot read the maxmemory-policy");
    }

    [Fact]
    public async Task Redis_at_maxmemory_refuses_submissions_with_507_writes_nothing_half_and_recovers_by_itself()
    {
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"), "--maxmemory", "3mb");
        redis.Start();
        var (port, url) = FaultSupport.Loopback();
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", redis.Url);
        var executions = FaultSupport.ExecutionLog(_env);
        try
        {
            await server.WaitForOutput("Conveyor is running");
            var (client, http) = TestEnvironment.Client(url);
            using var disposeHttp = http;
            var log = new SubmissionLog();

            // Fill Redis: 20 tasks of 4 KB per batch until the first refusal (3 MB is reached in ~30 batches).
            var refusedAt = -1;
            for (var i = 0; i < 200 && refusedAt < 0; i++)
                if (!await log.SubmitMany(client, FaultSupport.Noops(20, 4096))) refusedAt = i;
            Assert.True(refusedAt > 0, $"Redis never refused a write: {log.LastProblem?.Message}");
            for (var i = 0; i < 5; i++) Assert.False(await log.SubmitMany(client, FaultSupport.Noops(20, 4096)), "a submission was acknowledged while Redis is at maxmemory");
            Assert.Equal(507, log.LastProblem!.Status);
            Assert.Equal(ProblemTypes.InsufficientStorage, log.LastProblem.Type);
            output.WriteLine($"refused from batch {refusedAt} on: {log.LastProblem.Message}");

            // Nothing half-written: the queue holds exactly the acknowledged tasks, no part of a refused batch.
            var pending = (await client.Queues()).Where(q => q.Name == "default").Sum(q => q.Pending);
            Assert.Equal(log.Count(SubmitOutcome.Acknowledged), pending);
            await FaultSupport.AssertSaidOnce(server, "refuses writes");
            Assert.DoesNotContain("Unhandled error", server.Output, StringComparison.Ordinal);

            // Room is made: submissions are taken again, without a restart.
            Assert.Equal("+OK", redis.Command("CONFIG", "SET", "maxmemory", "0"));
            Assert.True(await log.SubmitMany(client, FaultSupport.Noops(20)), $"still refused after maxmemory was lifted: {log.LastProblem?.Message}");
            await server.WaitForOutput("accepts writes again", TimeSpan.FromSeconds(30));

            await using var worker = FaultSupport.StartWorker(_env, executions, "--broker", url, "--concurrency", "8");
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(60));
            var report = await Histories.Check(client, log, executions);
            output.WriteLine($"redis noeviction at maxmemory: {report}");
            report.AssertSafe();
            Assert.True(report.Refused > 0 && report.Acknowledged > 0, report.ToString());
        }
        catch
        {
            FaultSupport.Dump(output, ("server", server));
            throw;
        }
    }

    public void Dispose() => _env.Dispose();
}
