using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests.Sqlite;

/// <summary>
/// Two stores on one file stand for two processes (each its own connections and in-process signals):
/// a lease blocked in one is woken by a commit of the other (the -wal watch and data_version), on a
/// fake clock that never moves, so the lease's 60 s wait cannot be what ended it. And many stores
/// opening a new file at the same moment all open (the schema is migrated once, under the write lock).
/// </summary>
public sealed class SqliteOtherProcessTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-sqlite-xp-");
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private string DbPath => Path.Combine(dir.FullName, "shared.db");

    public void Dispose() => dir.Delete(recursive: true);

    private SqliteTaskStore Open() => new(new SqliteStoreOptions { Path = DbPath }, time);

    private TaskRecord NewTask() =>
        TaskValidator.Build(new TaskSubmission { Type = "xp.test" }, TaskIds.New(time), time.GetUtcNow(), TaskLimits.Default);

    [Fact]
    public async Task A_lease_blocked_in_one_store_is_woken_by_an_enqueue_through_another_on_the_same_file()
    {
        await using var producer = Open();
        await using var worker = Open();
        for (var round = 0; round < 5; round++)
        {
            var lease = worker.TaskLease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60))).AsTask();
            // The lease has looked and is blocked (nothing there yet); the fake clock never reaches its 60 s.
            await Task.Delay(100);
            Assert.False(lease.IsCompleted);
            var task = NewTask();
            await producer.TaskEnqueueMany([task]);
            var leased = await lease.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(task.Id, Assert.Single(leased).Task.Id);
        }
    }

    [Fact]
    public async Task A_task_wait_in_one_store_ends_when_another_store_completes_the_task()
    {
        await using var broker = Open();
        await using var worker = Open();
        var task = NewTask();
        await broker.TaskEnqueueMany([task]);
        var wait = broker.TaskWait(task.Id, TimeSpan.FromSeconds(60)).AsTask();
        await Task.Delay(100);
        Assert.False(wait.IsCompleted);
        var leased = Assert.Single(await worker.TaskLease(new TaskLeaseParams("w", ["default"], 1, TimeSpan.FromSeconds(30), TimeSpan.Zero)));
        await worker.TaskCompleteMany([new TaskCompleteParams(leased.Task.Id, leased.LeaseToken, null)]);
        var done = await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TaskState.Succeeded, done!.State);
    }

    [Fact]
    public async Task Many_stores_opening_a_new_file_at_once_all_open_with_one_schema()
    {
        using var start = new ManualResetEventSlim();
        var opens = Enumerable.Range(0, 8).Select(_ => Task.Run(() => { start.Wait(); return Open(); })).ToList();
        start.Set();
        var stores = await Task.WhenAll(opens).WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            await stores[0].TaskEnqueueMany([NewTask()]);
            foreach (var s in stores) Assert.Single((await s.TaskList(new TaskListParams())).Items);
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
    }
}
