using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

/// <summary>The contract suite on a real SQLite file in a temporary folder, deleted afterwards.</summary>
public sealed class SqliteFileConformanceTests : TaskStoreConformanceTests, IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-sqlite-");

    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) =>
        ValueTask.FromResult<ITaskStore>(new SqliteTaskStore(new SqliteStoreOptions { Path = Path.Combine(dir.FullName, "conveyor.db") }, time));

    protected override async ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => await CreateStore(time);

    public void Dispose() => dir.Delete(recursive: true);
}

/// <summary>The contract suite on ":memory:".</summary>
public sealed class SqliteMemoryConformanceTests : TaskStoreConformanceTests
{
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) =>
        ValueTask.FromResult<ITaskStore>(new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, time));
}
