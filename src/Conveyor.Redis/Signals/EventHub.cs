using Conveyor.Model;
using Conveyor.Store;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Conveyor.Redis.Signals;

/// <summary>
/// State changes from every process: each transition script PUBLISHes one message per call on its
/// queue's events channel (lines "id\tqueue\ttype\tstate\tms"). This process PSUBSCRIBEs once, on
/// first use, and fans messages out to <see cref="ITaskStore.EventsSubscribe"/> handlers and to
/// TaskWait waiters (which are woken by the terminal transition itself).
/// </summary>
internal sealed class EventHub : IDisposable
{
    private readonly ISubscriber _subscriber;
    private readonly RedisKeys _keys;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Task? _subscribed;
    private ImmutableHandlers _handlers = new([]);
    private readonly Dictionary<string, List<TaskCompletionSource>> _waiters = new(StringComparer.Ordinal);

    public EventHub(IConnectionMultiplexer mux, RedisKeys keys, ILogger logger)
    {
        _subscriber = mux.GetSubscriber();
        _keys = keys;
        _logger = logger;
    }

    public Task EnsureSubscribed()
    {
        lock (_gate)
        {
            if (_subscribed is null || _subscribed.IsFaulted || _subscribed.IsCanceled)
                _subscribed = SubscribeInOrder();
            return _subscribed;
        }
    }

    /// <summary>
    /// Through a message queue, not a callback: StackExchange.Redis runs callbacks concurrently, which
    /// once delivered a task's "running" before its "pending" (seen on the 3-node cluster). The queue
    /// hands messages over one at a time, in the order they arrived.
    /// </summary>
    private async Task SubscribeInOrder()
    {
        var queue = await _subscriber.SubscribeAsync(_keys.EventsPattern).ConfigureAwait(false);
        queue.OnMessage(m => Dispatch(m.Message));
    }

    public IDisposable Subscribe(Action<TaskEvent> handler)
    {
        lock (_gate) _handlers = new([.. _handlers.List, handler]);
        _ = EnsureSubscribed().ContinueWith(LogSubscribeFailure, TaskContinuationOptions.OnlyOnFaulted);
        return new Unsubscriber(this, handler);
    }

    // ops: Redis not answering is logged once by the store; here one line, and Resubscribe when it connects.
    private void LogSubscribeFailure(Task t)
    {
        if (Conveyor.Store.StoreUnreachableException.IsUnreachable(t.Exception))
            _logger.LogDebug("could not subscribe to Conveyor events yet ({Reason}); subscribing when Redis connects", Conveyor.Store.StoreUnreachableException.Brief(t.Exception!));
        else
            _logger.LogWarning(t.Exception, "could not subscribe to Conveyor events");
    }

    /// <summary>After a (re)connect: a subscription that failed is tried again when anyone listens.</summary>
    public void Resubscribe()
    {
        if (_handlers.List.Length == 0) return;
        _ = EnsureSubscribed().ContinueWith(LogSubscribeFailure, TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>A waiter completing on the task's next terminal event; dispose it when done waiting.</summary>
    public Waiter RegisterWaiter(string id)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (!_waiters.TryGetValue(id, out var list)) _waiters[id] = list = [];
            list.Add(tcs);
        }
        return new Waiter(this, id, tcs);
    }

    private void Release(string id, TaskCompletionSource tcs)
    {
        lock (_waiters)
        {
            if (_waiters.TryGetValue(id, out var list) && list.Remove(tcs) && list.Count == 0) _waiters.Remove(id);
        }
    }

    private void Complete(string id)
    {
        List<TaskCompletionSource>? list;
        lock (_waiters)
        {
            if (!_waiters.Remove(id, out list)) return;
        }
        foreach (var t in list) t.TrySetResult();
    }

    internal sealed class Waiter(EventHub hub, string id, TaskCompletionSource tcs) : IDisposable
    {
        public Task Task => tcs.Task;
        public void Dispose() => hub.Release(id, tcs);
    }

    private void Dispatch(RedisValue message)
    {
        var text = (string?)message;
        if (string.IsNullOrEmpty(text)) return;
        var handlers = _handlers.List;
        foreach (var line in text.Split('\n'))
        {
            var p = line.Split('\t');
            if (p.Length < 5 || !TaskStates.TryParse(p[3], out var state)) continue;
            if (state.IsTerminal()) Complete(p[0]);
            if (handlers.Length == 0) continue;
            var at = long.TryParse(p[4], out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UnixEpoch;
            var e = new TaskEvent(p[0], p[1], p[2], state, at);
            foreach (var h in handlers)
            {
                try { h(e); }
                catch (Exception ex) { _logger.LogWarning(ex, "a Conveyor event handler threw"); }
            }
        }
    }

    public void Dispose()
    {
        lock (_waiters)
        {
            foreach (var w in _waiters.Values.SelectMany(l => l)) w.TrySetResult();
            _waiters.Clear();
        }
        try { _subscriber.Unsubscribe(_keys.EventsPattern, null, CommandFlags.FireAndForget); }
        catch (Exception e) when (e is RedisException or ObjectDisposedException) { }
    }

    private sealed record ImmutableHandlers(Action<TaskEvent>[] List);

    private sealed class Unsubscriber(EventHub hub, Action<TaskEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (hub._gate) hub._handlers = new([.. hub._handlers.List.Where(h => h != handler)]);
        }
    }
}
