using System.Text.Json;
using Conveyor.Engine;
using Conveyor.Json;
using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// One executor per concurrency slot (Sidekiq's Processor): takes leased tasks from the dispatch
/// (<see cref="TaskDispatch"/>), runs the handler with its token, and posts the outcome to the ack buffer. A long-lived
/// loop per slot, not a Task per task. The handler runs inside the pool's middleware chain
/// (<see cref="Middleware.HandlerPipeline"/>: its span, log scope and metrics, then the user's).
/// </summary>
internal sealed class TaskExecutor(WorkerRuntime runtime, ExecutionSlot slot, TaskHandlerDelegate pipeline)
{
    private static readonly TimeSpan NearTimeout = TimeSpan.FromSeconds(1);

    public ExecutionSlot Slot => slot;

    public async Task RunAsync(TaskDispatch dispatch)
    {
        while (await dispatch.Take().ConfigureAwait(false) is { } leased)
        {
            try
            {
                // Waited too long for a slot: the renewer handed it back already.
                if (!runtime.Unbuffer(leased, out var leasedAt)) continue;
                if (runtime.LeasingStopped)
                {
                    // Leased but not started when the drain began: hand it back untouched, not charged.
                    runtime.Acks.Post(new TaskReleaseParams(leased.Task.Id, leased.LeaseToken));
                    continue;
                }
                await ExecuteAsync(leased, leasedAt).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                runtime.Logger.LogError(ex, "the executor failed around task {TaskId}", leased.Task.Id);
            }
            finally
            {
                runtime.SlotFreed();
            }
        }
    }

    private async Task ExecuteAsync(LeasedTask leased, long leasedAt)
    {
        var task = leased.Task;
        var token = slot.Begin(leased, runtime.Options.LeaseDuration, leasedAt);
        var context = new TaskContext(task, slot, token, runtime.TaskLogger, runtime.Scopes, runtime.WorkerId);
        runtime.Options.OnTaskStart?.Invoke(context);
        var started = runtime.Time.GetTimestamp();
        object? result = null;
        Exception? error = null;
        try
        {
            result = await pipeline(context).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            try { await context.DisposeScopeAsync().ConfigureAwait(false); }
            catch (Exception ex) { runtime.Logger.LogWarning(ex, "disposing the DI scope of task {TaskId} failed", task.Id); }
        }
        var elapsed = runtime.Time.GetElapsedTime(started);
        runtime.TaskTook(elapsed);
        var unsent = slot.TakeUnsentProgress(runtime.Options.LeaseDuration);
        var (reason, abandoned) = slot.End(nearTimeout: elapsed >= task.Timeout - NearTimeout);
        if (abandoned) return; // handed back by the pool already: this late outcome is dropped.
        if (unsent is not null) await SendProgress(unsent).ConfigureAwait(false);
        var outcome = OutcomeRules.Decide(leased, result, error, reason, elapsed, runtime.MaxResultBytes);
        outcome.Post(runtime.Acks);
        runtime.Count(outcome, task, error);
    }

    /// <summary>
    /// The handler's last progress, which no renewal carried yet, goes out before the outcome (an
    /// extension after it would be refused as stale): a finished task then shows where its handler
    /// got to, not where the last heartbeat caught it. Only for handlers that report progress; bounded
    /// in time, and a failure only costs that progress.
    /// </summary>
    private async Task SendProgress(LeaseExtendParams item)
    {
        try
        {
            using var bound = new CancellationTokenSource(ProgressFlushTimeout, runtime.Time);
            await runtime.Transport.ExtendMany([item], bound.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            runtime.Logger.LogDebug(ex, "task {TaskId}: its last progress was not sent", item.TaskId);
        }
    }

    private static readonly TimeSpan ProgressFlushTimeout = TimeSpan.FromSeconds(2);
}

internal sealed class UnknownTaskTypeException(string type)
    : Exception($"no handler is registered for task type '{type}' on this worker");
