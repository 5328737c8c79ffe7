using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>
/// The other-process watch wakes a process for OTHER processes' commits only: a store's own commits
/// (which fire the same -wal events) wake none of its blocked leasers, so a busy broker with idle
/// workers pays no self-wakes; another store's commit on the same file still does.
/// </summary>
public sealed class SqliteOwnCommitsTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-sqlite-own-");
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public void Dispose() => dir.Delete(recursive: true);

    private SqliteTaskStore Open() => new(new SqliteStoreOptions { Path = Path.Combine(dir.FullName, "own.db") }, time);

    private TaskRecord NewTask(string queue) =>
        TaskValidator.Build(new TaskSubmission { Type = "own.test", Queue = queue }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    [Fact]
    public async Task A_stores_own_commits_wake_nobody_through_the_watch_and_another_stores_commit_does()
    {
        await using var broker = Open();
        // Blocked on queue "idle" (the fake clock never reaches its 60 s): own commits go to "busy".
        var lease = broker.TaskLease(new TaskLeaseParams("w", ["idle"], 1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60))).AsTask();
        await Task.Delay(100);
        Assert.False(lease.IsCompleted);
        for (var i = 0; i < 50; i++) await broker.TaskEnqueueMany([NewTask("busy")]);
        // Longer than the watch's recheck chain after the last event (about 2 s).
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(0, broker.OtherProcessWakes);
        Assert.False(lease.IsCompleted);

        // Another store on the file (another process): its commit is seen, and wakes the lease.
        await using var other = Open();
        var task = NewTask("idle");
        await other.TaskEnqueueMany([task]);
        var leased = await lease.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(task.Id, Assert.Single(leased).Task.Id);
        Assert.True(broker.OtherProcessWakes >= 1);
    }
}
