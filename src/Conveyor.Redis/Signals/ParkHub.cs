using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Conveyor.Redis.Signals;

/// <summary>
/// parked: this process's parked leasers (the one-step lease, RedisTaskStore.Parked.cs). Each queue a
/// leaser parked on has ONE subscription here, to the queue's channel for this process, where
/// TaskEnqueueMany publishes the task it leased to one of them (park_handoff in Lua/Lib.lua); the
/// message names the park by its lease token, and completes that park on the pub/sub handler's thread,
/// so the woken leaser returns the task without another hop or round trip. When the subscription
/// connection comes back after a drop every open park is completed empty, since hand-offs published
/// meanwhile were lost: its leaser then asks TaskUnpark, which answers the task if one was handed.
/// </summary>
internal sealed class ParkHub : IDisposable
{
    private readonly ISubscriber _subscriber;
    private readonly RedisKeys _keys;
    private readonly IConnectionMultiplexer _mux;
    private readonly ConcurrentDictionary<string, Park> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _subscribed = new(StringComparer.Ordinal);
    private readonly ConcurrentStack<int> _freeSlots = new();
    private int _slots;

    public ParkHub(IConnectionMultiplexer mux, RedisKeys keys)
    {
        _mux = mux;
        _subscriber = mux.GetSubscriber();
        _keys = keys;
        mux.ConnectionRestored += OnRestored;
    }

    /// <summary>This process's name in its park channels and park ids.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// A new park on <paramref name="queue"/>, registered before its record is written, so a hand-off
    /// that lands before the lease call returns is not missed. Its id is a slot of this process, reused
    /// by later parks (the hand-off key is per id: bounded by the leasers that wait at once); its token
    /// is new.
    /// </summary>
    public async ValueTask<Park> Open(string queue, string workerId, long leaseMs, long lapseMs)
    {
        await Subscribe(queue).ConfigureAwait(false);
        if (!_freeSlots.TryPop(out var slot)) slot = Interlocked.Increment(ref _slots);
        var q = _keys.Queue(queue);
        var id = Instance + "." + slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var tokenPrefix = queue + "/" + Guid.NewGuid().ToString("N")[..16] + ".";
        var park = new Park(slot, id, tokenPrefix, tokenPrefix + "1", $"{id}\t{leaseMs}\t{q.ParkSpec(Instance)}\t{tokenPrefix}1\t{workerId}", lapseMs, leaseMs);
        _open[park.Token] = park;
        return park;
    }

    /// <summary>
    /// The park's end from the waiter's side: true when it was still open here (nothing arrived; the
    /// waiter must ask TaskUnpark), false when a message (or a reconnect) completed it first.
    /// </summary>
    public bool Withdraw(Park park) => _open.TryRemove(new KeyValuePair<string, Park>(park.Token, park));

    /// <summary>The park's slot is free again (after its waiter has its answer).</summary>
    public void Close(Park park) => _freeSlots.Push(park.Slot);

    private Task Subscribe(string queue)
    {
        var sub = _subscribed.GetOrAdd(queue, q => new Lazy<Task>(() => _subscriber.SubscribeAsync(_keys.Queue(q).ParkSubscription(Instance), (_, message) => OnHandoff(message))));
        var task = sub.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            _subscribed.TryRemove(new KeyValuePair<string, Lazy<Task>>(queue, sub));
            return Subscribe(queue);
        }
        return task;
    }

    private void OnHandoff(RedisValue message)
    {
        // w2pickup: only the first line (the token) is decoded, not the whole task the message carries.
        var bytes = (byte[]?)message;
        if (bytes is null) return;
        var nl = Array.IndexOf(bytes, (byte)'\n');
        if (nl <= 0) return;
        // A park its waiter has withdrawn finds nothing here: the waiter's TaskUnpark answers the task.
        if (_open.TryRemove(System.Text.Encoding.UTF8.GetString(bytes, 0, nl), out var park)) park.Answer(bytes);
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription) return;
        foreach (var token in _open.Keys)
            if (_open.TryRemove(token, out var park)) park.Answer(RedisValue.Null);
    }

    public void Dispose()
    {
        _mux.ConnectionRestored -= OnRestored;
        foreach (var token in _open.Keys)
            if (_open.TryRemove(token, out var park)) park.Answer(RedisValue.Null);
        foreach (var queue in _subscribed.Keys)
        {
            try { _subscriber.Unsubscribe(_keys.Queue(queue).ParkSubscription(Instance), null, CommandFlags.FireAndForget); }
            catch (Exception e) when (e is RedisException or ObjectDisposedException) { }
        }
    }

    /// <summary>One park: what its record says, and the hand-off message once one comes (Null: none, ask TaskUnpark).</summary>
    internal sealed class Park(int slot, string id, string tokenPrefix, string token, string member, long lapseMs, long leaseMs)
    {
        // Continuations run on the thread that answers (the pub/sub handler), as WakeHub's do: the
        // waiter only parses the message and returns the task.
        private readonly TaskCompletionSource<RedisValue> _answer = new();

        public int Slot { get; } = slot;
        public string Id { get; } = id;
        public string TokenPrefix { get; } = tokenPrefix;
        public string Token { get; } = token;
        public string Member { get; } = member;
        public long LapseMs { get; } = lapseMs;
        public long LeaseMs { get; } = leaseMs;
        public Task<RedisValue> Answered => _answer.Task;

        public void Answer(RedisValue message) => _answer.TrySetResult(message);
    }
}
