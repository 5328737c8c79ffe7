using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis.Signals;

/// <summary>
/// Wakes blocked leasers across processes. Scripts that make work ready (or schedule it) PUBLISH on
/// the queue's wake channel; this process holds ONE subscription per queue it has waited on and
/// completes the current "generation" task of that queue, which every local waiter awaits. Idle
/// waiting therefore costs Redis nothing but an open subscription. When the connection comes back
/// after a drop, every queue is signalled once, since messages published meanwhile were lost.
/// </summary>
internal sealed class WakeHub : IDisposable
{
    private readonly ISubscriber _subscriber;
    private readonly RedisKeys _keys;
    private readonly ILogger _logger;
    private readonly IConnectionMultiplexer _mux;
    private readonly ConcurrentDictionary<string, QueueSignal> _queues = new(StringComparer.Ordinal);

    public WakeHub(IConnectionMultiplexer mux, RedisKeys keys, ILogger logger)
    {
        _mux = mux;
        _subscriber = mux.GetSubscriber();
        _keys = keys;
        _logger = logger;
        mux.ConnectionRestored += OnRestored;
    }

    /// <summary>
    /// The task that completes on the next wake of <paramref name="queue"/>. Take it BEFORE looking for
    /// work, so a wake that lands between the look and the wait is not lost.
    /// </summary>
    public async ValueTask<Task> Arm(string queue)
    {
        var signal = _queues.GetOrAdd(queue, q => new QueueSignal(q));
        var current = signal.Current;
        try
        {
            await signal.EnsureSubscribed(this).ConfigureAwait(false);
        }
        catch (TaskCanceledException e)
        {
            // wakecancel: the SUBSCRIBE is sent with no token of ours, so a cancellation is the client
            // tearing down the subscription connection mid-call (a partition: CI saw it answer the
            // lease route with a 500): the store does not answer, as for its timeout and connection
            // errors. Nothing was leased yet; the next Arm subscribes again (EnsureSubscribed).
            throw new Conveyor.Store.StoreUnreachableException("Redis dropped the subscription connection before the queue's wake subscription was made", outcomeUnknown: false, e);
        }
        return current;
    }

    private Task Subscribe(QueueSignal signal)
    {
        var channel = _keys.Queue(signal.Queue).WakeSubscription;
        return _subscriber.SubscribeAsync(channel, (_, _) => signal.Fire());
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription) return;
        _logger.LogDebug("Redis subscription connection restored ({Endpoint}); waking every waiting leaser", e.EndPoint);
        foreach (var s in _queues.Values) s.Fire();
    }

    public void Dispose()
    {
        _mux.ConnectionRestored -= OnRestored;
        foreach (var s in _queues.Values)
        {
            if (s.IsSubscribed)
            {
                try { _subscriber.Unsubscribe(_keys.Queue(s.Queue).WakeSubscription, null, CommandFlags.FireAndForget); }
                catch (Exception e) when (e is RedisException or ObjectDisposedException) { }
            }
            s.Fire();
        }
    }

    private sealed class QueueSignal(string queue)
    {
        // perf: continuations run on the thread that fires (a pub/sub handler thread, never Redis's
        // reader), so a woken leaser sends its lease script at once instead of after one more
        // thread-pool hop (on a busy machine each hop waits its turn for a core). A waiter's
        // continuation only re-arms and sends the lease call, then awaits it; nothing blocks there.
        private TaskCompletionSource _tcs = new();
        private Task? _subscribed;
        private readonly Lock _gate = new();

        public string Queue { get; } = queue;
        public Task Current => Volatile.Read(ref _tcs).Task;
        public bool IsSubscribed => _subscribed is { IsCompletedSuccessfully: true };

        public void Fire() =>
            Interlocked.Exchange(ref _tcs, new TaskCompletionSource()).TrySetResult();

        public Task EnsureSubscribed(WakeHub hub)
        {
            lock (_gate)
            {
                if (_subscribed is null || _subscribed.IsFaulted || _subscribed.IsCanceled) _subscribed = hub.Subscribe(this);
                return _subscribed;
            }
        }
    }
}
