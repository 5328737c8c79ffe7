using Conveyor.Store;
using Conveyor.Gateway;
using Conveyor.Worker.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Worker;

/// <summary>
/// A worker pool over any <see cref="IWorkerGateway"/> (in-process <see cref="EngineGateway"/>, or a
/// broker over HTTP): Sidekiq's Launcher. It starts one lease loop, <see cref="WorkerOptions.Concurrency"/>
/// executors, one lease renewer, one ack buffer and one heartbeat, and stops them in drain order.
/// </summary>
public sealed class WorkerPool : IAsyncDisposable
{
    private readonly WorkerRuntime _runtime;
    private readonly CancellationTokenSource _stopLeasing = new();
    private readonly CancellationTokenSource _stopBackground = new();
    private readonly WorkerHeartbeater _heartbeater;
    private readonly WorkerLifecycle _lifecycle;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _leaseLoop = Task.CompletedTask, _executors = Task.CompletedTask, _renewer = Task.CompletedTask, _heartbeat = Task.CompletedTask;
    private int _state; // 0 new, 1 started, 2 stopped

    public WorkerPool(IWorkerGateway transport, HandlerRegistry handlers, WorkerOptions options,
        TimeProvider? time = null, ILoggerFactory? loggers = null, IServiceScopeFactory? scopes = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        if (scopes is null && handlers.NeedsServices)
            throw new InvalidOperationException("some handlers are types resolved from DI (Add<THandler, TArgs>): build the pool with an IServiceScopeFactory, or register instances or delegates");
        var snapshot = options.Snapshot();
        time ??= TimeProvider.System;
        var id = snapshot.WorkerId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
        _runtime = new WorkerRuntime(id, transport, handlers, snapshot, time, loggers ?? NullLoggerFactory.Instance, scopes);
        _lifecycle = new WorkerLifecycle(onQuiet: Quiet, onStop: StopCommanded);
        _heartbeater = new WorkerHeartbeater(_runtime, _lifecycle, time.GetUtcNow());
    }

    public string WorkerId => _runtime.WorkerId;
    /// <summary>Attempts finished by this pool (any outcome).</summary>
    public long Processed => _runtime.Processed;
    /// <summary>Attempts that failed.</summary>
    public long Failed => _runtime.Failed;
    public IReadOnlyList<string> RunningTaskIds => _runtime.RunningTaskIds();

    /// <summary>"running", "quiet" or "draining" (<see cref="Store.WorkerStatus"/>): what the heartbeat reports.</summary>
    public string Status => _lifecycle.Status;

    /// <summary>Completes when the pool has stopped (by <see cref="StopAsync"/> or by a stop command from the broker).</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Runs when the broker says stop (in a heartbeat's answer). The hosted service sets it to the host's
    /// StopApplication, so the host stops and drains the pool; unset, the pool drains itself.
    /// </summary>
    internal Action? StopCommandHandler { get; set; }

    public async Task StartAsync(CancellationToken ct = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("a worker pool starts once");
        _runtime.Handlers.Freeze();
        if (_runtime.Handlers.Kinds.Count == 0)
            _runtime.Logger.LogWarning("worker {WorkerId} has no handlers: every task it leases will fail with unknown_type", WorkerId);
        await _heartbeater.BeatAsync(ct).ConfigureAwait(false);

        var dispatch = new TaskDispatch();
        var pipeline = Worker.Middleware.HandlerPipeline.Build(_runtime.Handlers, _runtime.Time, _runtime.TaskLogger);
        _runtime.Acks.Start();
        _executors = Task.WhenAll(_runtime.Slots.Select(s => Task.Run(() => new TaskExecutor(_runtime, s, pipeline).RunAsync(dispatch))));
        _renewer = Task.Run(() => new LeaseRenewer(_runtime).RunAsync(_stopBackground.Token));
        _heartbeat = Task.Run(() => _heartbeater.RunAsync(_stopBackground.Token));
        _leaseLoop = Task.Run(() => new LeaseLoop(_runtime, dispatch).RunAsync(_stopLeasing.Token));
        _runtime.Logger.LogInformation("worker {WorkerId} started: queues {Queues}, concurrency {Concurrency}, handlers {Kinds}",
            WorkerId, string.Join(",", _runtime.Options.Queues), _runtime.Options.Concurrency, string.Join(",", _runtime.Handlers.Kinds));
    }

    /// <summary>
    /// Graceful stop: no more leasing; running handlers get <see cref="WorkerOptions.DrainTimeout"/> to
    /// finish (less if <paramref name="ct"/> fires first: the host's own shutdown deadline); the rest are
    /// cancelled and handed back; pending acknowledgements are flushed; the worker leaves the registry.
    /// </summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        var was = Interlocked.CompareExchange(ref _state, 2, 1);
        if (was == 0) return;
        if (was == 2)
        {
            await _completion.Task.ConfigureAwait(false); // a stop already under way: the same drain
            return;
        }
        try
        {
            await DrainAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _completion.TrySetResult();
        }
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        _runtime.StopLeasing();
        _lifecycle.Draining();
        await _heartbeater.BeatAsync(CancellationToken.None).ConfigureAwait(false);
        await _stopLeasing.CancelAsync().ConfigureAwait(false);
        await _leaseLoop.ConfigureAwait(false);

        if (!await WaitAsync(_executors, _runtime.Options.DrainTimeout, ct).ConfigureAwait(false))
        {
            // The drain deadline passed. Why hand the rest back instead of failing them: the task did
            // nothing wrong, we are the ones leaving. ReleaseMany puts it back to pending without
            // charging the attempt, so a deploy never pushes a task toward the dead-letter queue.
            // Cancelled handlers post that release themselves (CancelReason.Shutdown).
            foreach (var slot in _runtime.Slots)
                if (slot.Current is { } c) slot.TryCancel(c.Task.Id, CancelReason.Shutdown);
            if (!await WaitAsync(_executors, ShutdownGrace, CancellationToken.None).ConfigureAwait(false))
            {
                // A handler that ignores its token cannot hold the process hostage: hand its task back
                // now and drop whatever it returns later.
                foreach (var slot in _runtime.Slots)
                    if (slot.Abandon() is { } stuck)
                    {
                        _runtime.Logger.LogWarning("task {TaskId} ignored cancellation; handing it back while its handler still runs", stuck.Task.Id);
                        _runtime.Acks.Post(new TaskReleaseParams(stuck.Task.Id, stuck.LeaseToken));
                    }
            }
        }

        await _stopBackground.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_renewer, _heartbeat).ConfigureAwait(false);
        await _runtime.Acks.CloseAsync().ConfigureAwait(false);
        await _heartbeater.RemoveAsync(CancellationToken.None).ConfigureAwait(false);
        _runtime.Logger.LogInformation("worker {WorkerId} stopped after {Processed} attempts ({Failed} failed)", WorkerId, Processed, Failed);
    }

    /// <summary>Quiet (from the broker): lease nothing more; what is held (running or prefetched) still runs and is acknowledged.</summary>
    private void Quiet()
    {
        _runtime.Logger.LogInformation("worker {WorkerId} is quiet: it leases nothing more and finishes what it holds", WorkerId);
        // A lease call in flight may still answer (HttpWorkerGateway.LeaseStopGrace): what it brings is
        // handed back by the executors, not run, since a quiet worker takes no new work.
        _runtime.StopLeasing();
        // CancelAsync: the lease loop's cancellation callbacks run off the heartbeat loop.
        _ = _stopLeasing.CancelAsync();
    }

    /// <summary>Stop (from the broker): the host stops (and so drains the pool), or the pool drains itself.</summary>
    private void StopCommanded()
    {
        // Off the heartbeat loop, and not awaited: the drain waits for that loop to end.
        if (StopCommandHandler is { } stopHost) _ = Task.Run(stopHost);
        else _ = Task.Run(() => StopAsync());
    }

    /// <summary>How long cancelled handlers get to notice their token after the drain deadline.</summary>
    internal static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    private async Task<bool> WaitAsync(Task task, TimeSpan timeout, CancellationToken ct)
    {
        if (task.IsCompleted) return true;
        try
        {
            await task.WaitAsync(timeout, _runtime.Time, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException) { return false; }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopLeasing.Dispose();
        _stopBackground.Dispose();
    }
}
