using System.Globalization;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Schedules;

/// <summary>
/// Recurring tasks with no leader, with real processes: three brokers (<c>conveyor server</c>) on one
/// real Redis, each with the same <c>*/2 * * * * *</c> schedule in its configuration (environment
/// variables), run for about a minute while every broker is killed once with kill -9 and started again.
/// Every tick in the window must be submitted exactly once: as many tasks as ticks from the first to the
/// last, every even second in between, no tick twice. Takes about 70 s (the minute of ticks, plus
/// starts); its own collection, its own temp dir and free ports.
/// </summary>
[Collection(nameof(ThreeBrokerScheduleTests))]
public sealed class ThreeBrokerScheduleTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Three_brokers_submit_each_tick_of_a_two_second_schedule_once_while_each_is_killed_and_restarted()
    {
        using var redis = new RedisServer(Path.Combine(_env.Directory, "redis"));
        redis.Start();
        const string queue = "cron-e2e";
        var env = new Dictionary<string, string>
        {
            ["CONVEYOR__Schedules__every-2s__Cron"] = "*/2 * * * * *",
            ["CONVEYOR__Schedules__every-2s__Type"] = "noop",
            ["CONVEYOR__Schedules__every-2s__Queue"] = queue,
        };
        int[] ports = [TestEnvironment.FreePort(), TestEnvironment.FreePort(), TestEnvironment.FreePort()];
        ConveyorProcess Start(int i) => ConveyorProcess.Start(_env.Directory, env, "server", "--port", ports[i].ToString(CultureInfo.InvariantCulture), "--store", redis.Url);
        var brokers = new ConveyorProcess[3];
        for (var i = 0; i < 3; i++) brokers[i] = Start(i);
        var (client, http) = TestEnvironment.Client($"http://127.0.0.1:{ports[0]}");
        using var disposeHttp = http;
        try
        {
            foreach (var b in brokers) await b.WaitForOutput("Conveyor is running");
            // About a minute of ticks; each broker is killed with SIGKILL once (12 s apart) and started again.
            for (var i = 0; i < 3; i++)
            {
                await Task.Delay(TimeSpan.FromSeconds(12));
                brokers[i].Kill9();
                output.WriteLine($"killed broker {i} (pid {brokers[i].Pid})");
                await brokers[i].DisposeAsync();
                await Task.Delay(TimeSpan.FromSeconds(2));
                brokers[i] = Start(i);
                await brokers[i].WaitForOutput("Conveyor is running");
                output.WriteLine($"started broker {i} again");
            }
            await Task.Delay(TimeSpan.FromSeconds(12));
            // Stop every ticker before counting, so the window is closed.
            foreach (var b in brokers) b.Kill9();
            var reader = Start(0); // no schedule lost its ticks: a fresh broker reads what the store holds
            brokers[0] = reader;
            await reader.WaitForOutput("Conveyor is running");
            var tasks = (await client.List(new TaskListParams(Queue: queue, Limit: 1000))).Items;
            foreach (var b in brokers.Skip(1)) await b.DisposeAsync();
            await reader.DisposeAsync();

            var ticks = tasks.Select(t => DateTimeOffset.Parse(t.Metadata["schedule_tick"], CultureInfo.InvariantCulture)).Order().ToList();
            output.WriteLine($"{tasks.Count} tasks for {ticks.Distinct().Count()} distinct ticks, {ticks.FirstOrDefault():O} .. {ticks.LastOrDefault():O}");
            Assert.True(ticks.Count >= 25, $"expected about 30 ticks in the minute; got {ticks.Count}");
            Assert.Equal(ticks.Count, ticks.Distinct().Count()); // no tick twice
            var window = (int)((ticks[^1] - ticks[0]).TotalSeconds / 2) + 1;
            Assert.Equal(window, ticks.Count); // every even second from the first tick to the last
            Assert.All(ticks, t => Assert.Equal(0, t.Second % 2));
            Assert.All(tasks, t => Assert.Equal($"schedule:every-2s:{DateTimeOffset.Parse(t.Metadata["schedule_tick"], CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()}", t.IdempotencyKey));
        }
        finally
        {
            foreach (var b in brokers) await b.DisposeAsync();
        }
    }

    public void Dispose() => _env.Dispose();
}
