using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// w1warm: <c>conveyor bench --workloads w1 --w1-limit MODE</c> on a SQLite file. W1 runs in its mode
/// (a per-tenant limit on its queue, each task a tenant in its metadata), and so does its unmeasured
/// warm-up, so the limited paths are compiled before anything is measured. Checks what the bench
/// left in the file, never its speed.
/// </summary>
public sealed class BenchW1LimitTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Theory]
    [InlineData("unhit", 1_000_000)]
    [InlineData("hit", 2)]
    [InlineData("off", 0)]
    public async Task The_warm_up_runs_W1s_own_mode(string mode, int concurrency)
    {
        var db = Path.Combine(_env.Directory, $"w1-{mode}.db");
        var (code, text) = await ConveyorProcess.Run(_env.Directory, "bench", "--store", db, "--tasks", "200", "--warmup", "300", "--workloads", "w1", "--w1-limit", mode);
        output.WriteLine(text);
        Assert.True(code == 0, $"bench failed:\n{text}");
        var line = text.Split('\n').Single(l => l.Contains("W1 throughput", StringComparison.Ordinal));
        Assert.Contains(" tasks=400 ", line, StringComparison.Ordinal);
        Assert.Contains(" lost=0 duplicates=0", line, StringComparison.Ordinal);
        Assert.Equal(mode != "off", line.Contains($" limit={mode}", StringComparison.Ordinal));

        await using var store = new Conveyor.Sqlite.SqliteTaskStore(new Conveyor.Sqlite.SqliteStoreOptions { Path = db });
        var queues = (await store.QueueList()).Select(q => q.Name).ToList();
        var warm = Assert.Single(queues, q => q.StartsWith("bench-warm-", StringComparison.Ordinal));
        var w1 = Assert.Single(queues, q => q.StartsWith("bench-w1-", StringComparison.Ordinal));
        foreach (var (queue, tasks) in new[] { (warm, 300), (w1, 400) })
        {
            var limits = await store.QueueLimitList(queue);
            if (mode == "off")
            {
                Assert.Empty(limits);
            }
            else
            {
                var limit = Assert.Single(limits).Limit;
                Assert.Equal(("metadata.tenant", (int?)concurrency), (limit.Key, limit.Concurrency));
            }
            var done = await All(store, queue);
            Assert.Equal(tasks, done.Count);
            Assert.All(done, t => Assert.Equal(TaskState.Succeeded, t.State));
            // Every task carries a tenant (one of 4, in turn) in every mode but off.
            var tenants = done.Select(t => t.Metadata.TryGetValue("tenant", out var v) ? v : null).Distinct().OrderBy(v => v).ToList();
            Assert.Equal(mode == "off" ? [null] : ["t0", "t1", "t2", "t3"], tenants);
        }
    }

    private static async Task<List<TaskRecord>> All(ITaskStore store, string queue)
    {
        var all = new List<TaskRecord>();
        string? cursor = null;
        do
        {
            var page = await store.TaskList(new TaskListParams(Queue: queue, Limit: 200, Cursor: cursor));
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        } while (cursor is not null);
        return all;
    }

    public void Dispose() => _env.Dispose();
}
