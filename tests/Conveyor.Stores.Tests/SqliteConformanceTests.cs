using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

/// <summary>SQLite files in a temporary folder, deleted afterwards: each suite's store is a fresh file.</summary>
public sealed class SqliteFileStores : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("conveyor-sqlite-");
    private string path = "";

    public ITaskStore Create(FakeTimeProvider time)
    {
        path = Path.Combine(dir.FullName, $"conveyor-{Guid.NewGuid():N}.db");
        return Reopen(time);
    }

    /// <summary>The last file created, opened again: a restart.</summary>
    public ITaskStore Reopen(FakeTimeProvider time) => new SqliteTaskStore(new SqliteStoreOptions { Path = path }, time);

    public static ITaskStore Memory(FakeTimeProvider time) => new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, time);

    public void Dispose() => dir.Delete(recursive: true);
}

// The contract suites on a real SQLite file: the three parts are one store (one transaction per transition).
public sealed class SqliteFileDeliveryConformanceTests : TaskDeliveryConformanceTests, IDisposable
{
    private readonly SqliteFileStores files = new();
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => ValueTask.FromResult(files.Create(time));
    protected override ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => ValueTask.FromResult<ITaskStore?>(files.Reopen(time));
    public void Dispose() => files.Dispose();
}

public sealed class SqliteFileRecordsConformanceTests : TaskRecordsConformanceTests, IDisposable
{
    private readonly SqliteFileStores files = new();
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => ValueTask.FromResult(files.Create(time));
    protected override ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => ValueTask.FromResult<ITaskStore?>(files.Reopen(time));
    public void Dispose() => files.Dispose();
}

public sealed class SqliteFileWorkersConformanceTests : WorkerRegistryConformanceTests, IDisposable
{
    private readonly SqliteFileStores files = new();
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => ValueTask.FromResult(files.Create(time));
    protected override ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => ValueTask.FromResult<ITaskStore?>(files.Reopen(time));
    public void Dispose() => files.Dispose();
}

public sealed class SqliteFileConformanceTests : TaskStoreConformanceTests, IDisposable
{
    private readonly SqliteFileStores files = new();
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => ValueTask.FromResult(files.Create(time));
    protected override ValueTask<ITaskStore?> ReopenStore(FakeTimeProvider time) => ValueTask.FromResult<ITaskStore?>(files.Reopen(time));
    public void Dispose() => files.Dispose();
}

// The contract suites on ":memory:".
public sealed class SqliteMemoryDeliveryConformanceTests : TaskDeliveryConformanceTests
{
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => ValueTask.FromResult(SqliteFileStores.Memory(time));
}

public sealed class SqliteMemoryRecordsConformanceTests : TaskRecordsConformanceTests
{
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => ValueTask.FromResult(SqliteFileStores.Memory(time));
}

public sealed class SqliteMemoryWorkersConformanceTests : WorkerRegistryConformanceTests
{
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => ValueTask.FromResult(SqliteFileStores.Memory(time));
}

public sealed class SqliteMemoryConformanceTests : TaskStoreConformanceTests
{
    protected override ValueTask<ITaskStore> CreateStore(FakeTimeProvider time) => ValueTask.FromResult(SqliteFileStores.Memory(time));
}
