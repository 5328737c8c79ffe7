using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Gateway;

namespace Conveyor.Worker.Tests;

/// <summary>
/// A real SQLite store (in memory), the engine, the in-process transport and a worker pool over it.
/// The worker runs on real time with small durations; the store may run on its own (fake) clock.
/// </summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private WorkerPool? _pool;

    public WorkerHarness(TimeProvider? storeTime = null)
    {
        StoreTime = storeTime ?? TimeProvider.System;
        Store = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, StoreTime);
        Engine = new TaskEngine(Store, StoreTime);
        Transport = new EngineGateway(Engine);
    }

    public TimeProvider StoreTime { get; }
    public SqliteTaskStore Store { get; }
    public TaskEngine Engine { get; }
    /// <summary>What the pool talks to: the engine in-process, unless a test wraps it.</summary>
    public IWorkerGateway Transport { get; set; }
    public HandlerRegistry Handlers { get; } = new();
    public WorkerOptions Options { get; } = new() { Concurrency = 4, LeaseDuration = TimeSpan.FromSeconds(3), LeaseWait = TimeSpan.FromSeconds(2), DrainTimeout = TimeSpan.FromSeconds(10) };
    public Microsoft.Extensions.Logging.ILoggerFactory? Loggers { get; set; }
    /// <summary>The worker's clock (real time unless a test injects a fake one).</summary>
    public TimeProvider WorkerTime { get; set; } = TimeProvider.System;
    public WorkerPool Pool => _pool ?? throw new InvalidOperationException("start the pool first");

    public async Task<WorkerPool> StartAsync()
    {
        _pool = new WorkerPool(Transport, Handlers, Options, WorkerTime, Loggers);
        await _pool.StartAsync();
        return _pool;
    }

    public Task StopAsync() => _pool?.StopAsync() ?? Task.CompletedTask;

    public async Task<string> SubmitAsync(string type, object? args = null, int maxAttempts = 5, TimeSpan? timeout = null,
        BackoffPolicy? backoff = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var result = await Engine.Submit(new TaskSubmission
        {
            Type = type,
            Args = args is null ? null : args as JsonElement? ?? JsonSerializer.SerializeToElement(args, ConveyorJson.Options),
            MaxAttempts = maxAttempts,
            Timeout = timeout,
            Backoff = backoff ?? BackoffPolicy.None,
            Metadata = metadata,
        });
        return result.Task.Id;
    }

    /// <summary>Waits (woken by the store, not polling) until the task is terminal; fails the test if it never is.</summary>
    public async Task<TaskRecord> WaitTerminalAsync(string id)
    {
        using var cts = new CancellationTokenSource(Patience);
        var task = await Engine.Wait(id, TimeSpan.FromSeconds(60), cts.Token);
        Assert.NotNull(task);
        Assert.True(task.State.IsTerminal(), $"task {id} is still {task.State} after {Patience}");
        return task;
    }

    public async Task<TaskRecord> GetAsync(string id) => Assert.IsType<TaskRecord>(await Engine.Get(id));

    /// <summary>For observations with no store signal (progress): poll the real store until true.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(25);
        }
        Assert.Fail($"never happened within {Patience}: {what}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_pool is not null) await _pool.DisposeAsync();
        await Store.DisposeAsync();
    }
}

internal static class Signals
{
    /// <summary>Awaits a test signal with generous patience, failing the test (not hanging) when it never comes.</summary>
    public static async Task Within<T>(this TaskCompletionSource<T> tcs, string what)
    {
        try { await tcs.Task.WaitAsync(WorkerHarness.Patience); }
        catch (TimeoutException) { Assert.Fail($"never happened within {WorkerHarness.Patience}: {what}"); }
    }

    public static TaskCompletionSource<T> New<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
