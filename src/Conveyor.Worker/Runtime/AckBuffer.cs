using System.Threading.Channels;
using Conveyor.Engine;
using Conveyor.Store;
using Conveyor.Gateway;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// Collects the outcomes of finished attempts and sends them in batches: whatever finished since the
/// last flush goes out together (one CompleteMany, one FailMany, one ReleaseMany), and a lone outcome
/// goes out at once when nothing else is pending. This is group commit from the worker's side: no
/// round trip per task, and no added latency when idle.
/// </summary>
internal sealed class AckBuffer(IWorkerGateway transport, int maxBatch, TimeProvider time, ILogger logger)
{
    private readonly Channel<object> _channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private Task _loop = Task.CompletedTask;

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>False once the buffer is closed (the pool stopped); the outcome is dropped and the lease will expire.</summary>
    public bool Post(TaskCompleteParams item) => _channel.Writer.TryWrite(item);
    public bool Post(TaskFailParams item) => _channel.Writer.TryWrite(item);
    public bool Post(TaskReleaseParams item) => _channel.Writer.TryWrite(item);

    /// <summary>Flushes what is pending and ends the loop.</summary>
    public Task CloseAsync()
    {
        _channel.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            List<TaskCompleteParams>? completes = null;
            List<TaskFailParams>? fails = null;
            List<TaskReleaseParams>? releases = null;
            var n = 0;
            while (n < maxBatch && reader.TryRead(out var item))
            {
                n++;
                switch (item)
                {
                    case TaskCompleteParams c: (completes ??= []).Add(c); break;
                    case TaskFailParams f: (fails ??= []).Add(f); break;
                    case TaskReleaseParams r: (releases ??= []).Add(r); break;
                }
            }
            if (completes is not null) await SendAsync("complete", completes, transport.CompleteMany).ConfigureAwait(false);
            if (fails is not null) await SendAsync("fail", fails, transport.FailMany).ConfigureAwait(false);
            if (releases is not null) await SendAsync("release", releases, transport.ReleaseMany).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    private async Task SendAsync<T>(string verb, List<T> items, Func<IReadOnlyList<T>, CancellationToken, ValueTask<IReadOnlyList<AckResult>>> send)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Report(verb, await send(items, CancellationToken.None).ConfigureAwait(false));
                return;
            }
            catch (ConveyorValidationException ex) when (items.Count > 1)
            {
                // One bad item must not sink the batch: send them one by one and log the refused ones.
                logger.LogWarning("a batch of {Count} {Verb} acknowledgements was refused ({Error}); sending them one by one", items.Count, verb, ex.Message);
                foreach (var item in items) await SendAsync(verb, [item], send).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < RetryDelays.Length && ex is not ConveyorValidationException)
            {
                logger.LogWarning(TransportErrors.StackFor(ex), "{Verb} of {Count} tasks failed ({Reason}); retrying in {Delay}", verb, items.Count, TransportErrors.Reason(ex), RetryDelays[attempt]);
                await Task.Delay(RetryDelays[attempt], time).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // At-least-once: an outcome we cannot deliver is not lost work. The lease expires and
                // the task runs again, which is better than losing it.
                logger.LogError(TransportErrors.StackFor(ex), "{Verb} of {Count} tasks could not be delivered ({Reason}); their leases will expire and they will run again", verb, items.Count, TransportErrors.Reason(ex));
                return;
            }
        }
    }

    private void Report(string verb, IReadOnlyList<AckResult> results)
    {
        if (!logger.IsEnabled(LogLevel.Debug)) return;
        foreach (var r in results)
            if (r.Outcome != AckOutcome.Ok)
                logger.LogDebug("{Verb} of task {TaskId} answered {Outcome}: the lease had moved on (expired or cancelled)", verb, r.TaskId, r.Outcome);
    }
}
