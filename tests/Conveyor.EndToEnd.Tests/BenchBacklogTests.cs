using System.Text.Json;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// <c>conveyor bench --workloads backlog</c> (issue 15): W1 measured while a queue holds a growing
/// backlog, then delayed tasks. Checks that every level ran W1 in full beside the backlog it names and
/// that the file holds that backlog, never the speed. Takes 10-30 s on 2 busy cores.
/// </summary>
public sealed class BenchBacklogTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Bench_backlog_runs_w1_beside_each_backlog_and_leaves_the_backlog_waiting()
    {
        var db = Path.Combine(_env.Directory, "backlog.db");
        var (code, text) = await ConveyorProcess.Run(_env.Directory, "bench", "--store", db, "--workloads", "backlog",
            "--backlog", "500,2000", "--backlog-delayed", "1000", "--tasks", "300", "--warmup", "0", "--json");
        output.WriteLine(text);
        Assert.True(code == 0, $"bench failed:\n{text}");
        using var json = JsonDocument.Parse(text);
        var levels = json.RootElement.GetProperty("backlog").EnumerateArray().ToList();
        Assert.Equal(3, levels.Count);
        Assert.Equal([0L, 0L, 1000L], levels.Select(l => l.GetProperty("delayed").GetInt64()));
        foreach (var (level, target) in levels.Zip(new long[] { 500, 2000, 2000 }))
        {
            var w1 = level.GetProperty("w1");
            Assert.Equal(600, w1.GetProperty("processed").GetInt32());
            Assert.Equal(0, w1.GetProperty("lost").GetInt32());
            Assert.Equal(0, w1.GetProperty("duplicates").GetInt32());
            // What ran of the backlog is counted off it, never more than was there. How much ran (what the
            // worker leased after W1's last task, before its pool stopped) depends on how soon the pool stops
            // on a busy machine; that W1's tasks went first is proven task by task below, on the store's clock.
            var waiting = level.GetProperty("waiting").GetInt64();
            Assert.InRange(waiting, 0, target);
            Assert.True(level.GetProperty("rss_bytes").GetInt64() > 0);
            Assert.True(level.GetProperty("store_bytes").GetInt64() > 0);
            // backlog: the process's CPU over the level's W1, per task; the store runs in it (SQLite), so never zero.
            Assert.True(level.GetProperty("cpu_micros_per_task").GetDouble() > 0);
            Assert.False(level.TryGetProperty("redis_cpu_micros_per_task", out _)); // Redis only
        }

        await using var store = new Conveyor.Sqlite.SqliteTaskStore(new Conveyor.Sqlite.SqliteStoreOptions { Path = db });
        var q = Assert.Single(await store.QueueList(), x => x.Name.StartsWith("bench-backlog-", StringComparison.Ordinal));
        Assert.Equal(levels[^1].GetProperty("waiting").GetInt64(), q.Pending);
        Assert.Equal(1000L, q.Scheduled);
        // Each fill tops the backlog up to its level: 500, then 2000 less what was still waiting.
        var submitted = 500 + (2000 - levels[0].GetProperty("waiting").GetInt64());
        Assert.Equal(3 * 600L + (submitted - q.Pending), q.Succeeded); // W1's three rounds, and the backlog tasks that ran

        // W1's tasks go first (one priority above the backlog): no backlog task was leased while a W1 task
        // submitted before that lease still waited. One clock (the store runs in the bench's process) and the
        // lease's own time: a lease call takes the higher priority first, and its tasks share its time.
        var ran = new List<Conveyor.Model.TaskRecord>();
        for (string? cursor = null; ;)
        {
            var page = await store.TaskList(new Conveyor.Store.TaskListParams(State: Conveyor.Model.TaskState.Succeeded, Queue: q.Name, Limit: Conveyor.Store.TaskListParams.MaxLimit, Cursor: cursor));
            ran.AddRange(page.Items);
            if ((cursor = page.NextCursor) is null) break;
        }
        var w1Tasks = ran.Where(t => t.Type == "noop").ToList();
        var backlogRan = ran.Where(t => t.Type == "backlog").ToList();
        Assert.Equal(3 * 600, w1Tasks.Count);
        Assert.Equal(q.Succeeded - 3 * 600, backlogRan.Count);
        foreach (var b in backlogRan)
        {
            var passed = w1Tasks.FirstOrDefault(w => w.CreatedAt < b.StartedAt && w.StartedAt > b.StartedAt);
            Assert.True(passed is null, $"backlog task {b.Id} was leased at {b.StartedAt:O} while W1 task {passed?.Id} (submitted {passed?.CreatedAt:O}) waited until {passed?.StartedAt:O}");
        }
    }

    public void Dispose() => _env.Dispose();
}
