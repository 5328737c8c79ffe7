using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>
/// Another process holding the file's write lock past the busy timeout is the store not answering:
/// <see cref="StoreUnreachableException"/> with the outcome known (nothing stored: the server's 503),
/// and the store writes again once the lock is let go.
/// </summary>
public sealed class SqliteLockedElsewhereTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-sqlite-locked-");
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        dir.Delete(recursive: true);
    }

    private TaskRecord NewTask() =>
        TaskValidator.Build(new TaskSubmission { Type = "locked.test" }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    [Fact]
    public async Task A_write_lock_held_elsewhere_past_the_busy_timeout_is_unreachable_with_nothing_stored()
    {
        var path = Path.Combine(dir.FullName, "locked.db");
        await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = path, BusyTimeout = TimeSpan.FromMilliseconds(200) }, time);
        using (var other = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            using (var begin = other.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE;"; begin.ExecuteNonQuery(); }
            var refused = await Assert.ThrowsAsync<StoreUnreachableException>(() => store.TaskEnqueueMany([NewTask()]).AsTask());
            Assert.False(refused.OutcomeUnknown);
            Assert.Contains("locked by another process", refused.Message, StringComparison.Ordinal);
            Assert.True(StoreUnreachableException.IsUnreachable(refused));
            using (var rollback = other.CreateCommand()) { rollback.CommandText = "ROLLBACK;"; rollback.ExecuteNonQuery(); }
        }
        Assert.Empty((await store.TaskList(new TaskListParams())).Items);
        var task = NewTask();
        await store.TaskEnqueueMany([task]);
        Assert.Equal(task.Id, Assert.Single((await store.TaskList(new TaskListParams())).Items).Id);
    }
}
