using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>What only the SQLite store must prove about search: an error or tag search looks at a bounded number of rows per call.</summary>
public sealed class SqliteSearchTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private TaskRecord NewTask(string env) => TaskValidator.Build(new TaskSubmission
    {
        Type = "sqlite.search", Metadata = new Dictionary<string, string> { ["env"] = env },
    }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    [Fact]
    public async Task A_tag_search_past_the_scan_budget_answers_a_short_page_with_a_cursor_and_finds_the_rest_after_it()
    {
        await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, time);
        // The oldest three match; the newest budget + 50 do not.
        var old = Enumerable.Range(0, 3).Select(_ => NewTask("prod")).ToList();
        await store.TaskEnqueueMany(old);
        time.Advance(TimeSpan.FromSeconds(1));
        var newer = Enumerable.Range(0, SqliteTaskStore.SearchScanBudget + 50).Select(_ => NewTask("dev")).ToList();
        foreach (var chunk in newer.Chunk(TaskDefaults.MaxEnqueueBatch)) await store.TaskEnqueueMany(chunk);

        var query = new TaskListParams(Limit: 10) { TagKey = "env", TagValue = "prod" };
        var first = await store.TaskList(query);
        Assert.Empty(first.Items);
        Assert.NotNull(first.NextCursor);
        var second = await store.TaskList(query with { Cursor = first.NextCursor });
        Assert.Equal(old.Select(t => t.Id).Order(), second.Items.Select(t => t.Id).Order());
        Assert.Null(second.NextCursor);

        // Without a search filter nothing is bounded: a page is full.
        Assert.Equal(10, (await store.TaskList(new TaskListParams(Limit: 10))).Items.Count);
    }
}
