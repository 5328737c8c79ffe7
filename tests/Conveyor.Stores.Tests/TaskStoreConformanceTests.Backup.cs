using Conveyor.Sqlite;
using Conveyor.Store;

namespace Conveyor.Stores.Tests;

// StoreBackup (issue 11: a consistent copy of a running store): a store either writes a copy that a
// store of its kind opens with every task in it, or says it has no backup of its own and writes nothing.
public abstract partial class TaskStoreConformanceTests
{
    [Fact]
    public async Task StoreBackup_copies_every_task_into_a_new_file_or_says_it_cannot_and_writes_nothing()
    {
        var time = NewClock();
        await using var store = await CreateStore(time);
        var ids = (await EnqueueMany(store, time, 20, queue: "backup")).Select(t => t.Id).ToList();
        var dir = Directory.CreateTempSubdirectory("conveyor-backup-");
        try
        {
            var target = Path.Combine(dir.FullName, "copy.db");
            var result = await store.StoreBackup(new StoreBackupParams(target));
            if (!result.Supported)
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Detail));
                Assert.False(File.Exists(target));
                return;
            }
            Assert.True(result.Tasks >= ids.Count);
            Assert.Equal(new FileInfo(target).Length, result.Bytes);
            await using var copy = new SqliteTaskStore(new SqliteStoreOptions { Path = target }, time);
            foreach (var id in ids) Assert.NotNull(await copy.TaskGet(id));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
