using System.Text.Json;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// <c>conveyor bench --workloads w4</c>: fills a SQLite file with tasks across states and reports one
/// line per dashboard read. Checks that the fill put the tasks where it says and every read ran,
/// never their speed.
/// </summary>
public sealed class BenchW4Tests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Bench_w4_fills_the_store_and_reports_every_dashboard_read()
    {
        var db = Path.Combine(_env.Directory, "w4.db");
        var (code, text) = await ConveyorProcess.Run(_env.Directory, "bench", "--store", db, "--tasks", "20000", "--workloads", "w4", "--json");
        output.WriteLine(text);
        Assert.True(code == 0, $"bench failed:\n{text}");
        using var json = JsonDocument.Parse(text);
        var w4 = json.RootElement.GetProperty("w4");
        Assert.Equal(20_000, w4.GetProperty("tasks").GetInt32());
        var reads = w4.GetProperty("reads").EnumerateArray().Select(r => r.GetProperty("read").GetString()).ToList();
        // One listing per state the dashboard filters by (every TaskState, waiting and expired included).
        Assert.Equal(["QueueList", "HistoryList(60)", "TaskList(state=pending)", "TaskList(state=scheduled)", "TaskList(state=running)",
            "TaskList(state=succeeded)", "TaskList(state=failed)", "TaskList(state=cancelled)", "TaskList(state=waiting)", "TaskList(state=expired)",
            "TaskList(queue+state=failed)", "TaskList(type)", "DeadLetters", "TaskGet", "WorkerList"], reads);
        Assert.All(w4.GetProperty("reads").EnumerateArray(), r => Assert.True(r.GetProperty("calls").GetInt32() > 0));

        // The file holds what the fill promised: two chunks of 10,000 (88 % succeeded, 4 % dead, 1 %
        // cancelled, 2 % scheduled, 5 % pending), and 20 of the pending ones left running.
        await using var store = new Conveyor.Sqlite.SqliteTaskStore(new Conveyor.Sqlite.SqliteStoreOptions { Path = db });
        var q = (await store.QueueList()).Where(x => x.Name.StartsWith("w4-", StringComparison.Ordinal)).ToList();
        Assert.Equal((980L, 400L, 20L, 17_600L, 800L, 200L),
            (q.Sum(x => x.Pending), q.Sum(x => x.Scheduled), q.Sum(x => x.Running), q.Sum(x => x.Succeeded), q.Sum(x => x.Failed), q.Sum(x => x.Cancelled)));
    }

    public void Dispose() => _env.Dispose();
}
