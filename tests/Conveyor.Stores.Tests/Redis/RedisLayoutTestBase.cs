using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Redis;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Redis;

/// <summary>
/// What the layout-upgrade tests share (<see cref="RedisLayoutTests"/>, <see cref="RedisLayout3Tests"/>):
/// stores on a fresh key prefix of the fixture's redis-server on one fake clock, tasks to fill them, and
/// a listing read to its end.
/// </summary>
public abstract class RedisLayoutTestBase(RedisServerFixture redis, string tag)
{
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    protected Task<RedisTaskStore> Open(string prefix) =>
        RedisTaskStore.ConnectAsync(new RedisStoreOptions { ConnectionString = redis.ConnectionString, KeyPrefix = prefix, TimeProvider = Time });

    protected string NewPrefix() => tag + Guid.NewGuid().ToString("N")[..12];

    protected TaskRecord NewTask(string queue, TimeSpan? delay = null) => TaskValidator.Build(
        new TaskSubmission { Type = "test.noop", Queue = queue, Args = JsonDocument.Parse("{}").RootElement.Clone(), Delay = delay, MaxAttempts = 1 },
        TaskIds.New(Time), Time.GetUtcNow(), TaskLimits.Default);

    /// <summary>Every id of <paramref name="query"/>'s listing, page by page.</summary>
    protected static async Task<List<string>> ListAll(ITaskStore store, TaskListParams query)
    {
        var ids = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages < 1000; pages++)
        {
            var page = await store.TaskList(query with { Cursor = cursor, Limit = 200 });
            ids.AddRange(page.Items.Select(t => t.Id));
            if ((cursor = page.NextCursor) is null) return ids;
        }
        throw new InvalidOperationException("the listing did not end");
    }
}
