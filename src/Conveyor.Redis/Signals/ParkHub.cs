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
/// parklist: where a blocking connection can be had (<see cref="ParkLines"/>, the default), a park
/// names its own list instead of the channel, and its leaser waits in a BLPOP of it: the hand-off is
/// kept in the list until it is popped, so nothing is lost between the park's record and the wait, and
/// the answer runs on the line's own thread.
/// </summary>
internal sealed class ParkHub : IDisposable
{
    private readonly ISubscriber _subscriber;
    private readonly RedisKeys _keys;
    private readonly IConnectionMultiplexer _mux;
    private readonly ConcurrentDictionary<string, Park> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _subscribed = new(StringComparer.Ordinal);
    private readonly ConcurrentStack<int> _freeSlots = new();
    private readonly ParkLines? _lines;
    private int _slots;

    public ParkHub(IConnectionMultiplexer mux, RedisKeys keys, ParkLines? lines)
    {
        _mux = mux;
        _lines = lines;
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
        var q = _keys.Queue(queue);
        var line = _lines is null ? null : await _lines.Rent(q.Parked).ConfigureAwait(false); // parklist
        if (line is null)
        {
            try { await Subscribe(queue).ConfigureAwait(false); }
            catch (TaskCanceledException e) // wakecancel: the client tore the subscription connection down (WakeHub.Arm)
            {
                throw new Conveyor.Store.StoreUnreachableException("Redis dropped the subscription connection before the park's subscription was made", outcomeUnknown: false, e);
            }
        }
        if (!_freeSlots.TryPop(out var slot)) slot = Interlocked.Increment(ref _slots);
        var id = Instance + "." + slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var tokenPrefix = queue + "/" + Guid.NewGuid().ToString("N")[..16] + ".";
        var list = line is null ? default : q.ParkList(id);
        var spec = line is null ? q.ParkSpec(Instance) : "LPUSH " + (string)list!;
        var park = new Park(slot, id, tokenPrefix, tokenPrefix + "1", $"{id}\t{leaseMs}\t{spec}\t{tokenPrefix}1\t{workerId}", lapseMs, leaseMs) { Line = line, List = list };
        _open[park.Token] = park;
        return park;
    }

    /// <summary>
    /// parklist: the park's record stands (TaskLease answered "parked"): its leaser starts waiting in
    /// the BLPOP of its list. A line that is gone answers the park empty at once (its leaser asks TaskUnpark).
    /// </summary>
    public void Block(Park park)
    {
        if (park.Line is not { } line) return;
        Volatile.Write(ref park.Blocking, 1);
        if (line.Block(park.List, bytes => Handoff(park, bytes), () => _open.ContainsKey(park.Token), () => Finished(park))) return;
        Volatile.Write(ref park.Blocking, 0);
        park.Line = null;
        _lines!.Forget(line);
        if (Withdraw(park)) park.Answer(RedisValue.Null);
    }

    /// <summary>parklist: a hand-off popped from the park's list, on the line's thread: true when it was this park's and the park still open.</summary>
    private bool Handoff(Park park, byte[] bytes)
    {
        if (!string.Equals(TokenOf(bytes), park.Token, StringComparison.Ordinal)) return false;
        if (!Withdraw(park)) return false; // withdrawn: the waiter's TaskUnpark answers the task
        park.Answer(bytes);
        return true;
    }

    /// <summary>parklist: the park's BLPOP is over; a park still open then (its line broke) is answered empty, and its slot is free.</summary>
    private void Finished(Park park)
    {
        if (Withdraw(park)) park.Answer(RedisValue.Null);
        _freeSlots.Push(park.Slot);
    }

    /// <summary>
    /// The park's end from the waiter's side: true when it was still open here (nothing arrived; the
    /// waiter must ask TaskUnpark), false when a message (or a reconnect) completed it first.
    /// </summary>
    public bool Withdraw(Park park) => _open.TryRemove(new KeyValuePair<string, Park>(park.Token, park));

    /// <summary>
    /// The park's slot is free again (after its waiter has its answer). parklist: a park whose BLPOP
    /// was sent frees its slot, and its line goes back, when the BLPOP is over (<see cref="Finished"/>),
    /// so a slot's list is never waited on twice.
    /// </summary>
    public void Close(Park park)
    {
        if (Volatile.Read(ref park.Blocking) == 1) return;
        if (park.Line is { } line) _lines!.Return(line);
        _freeSlots.Push(park.Slot);
    }

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
        // A park its waiter has withdrawn finds nothing here: the waiter's TaskUnpark answers the task.
        if (bytes is not null && TokenOf(bytes) is { } token && _open.TryRemove(token, out var park)) park.Answer(bytes);
    }

    /// <summary>The lease token a hand-off is for (its first line, the only part decoded here); null when it has none.</summary>
    private static string? TokenOf(byte[] bytes)
    {
        var nl = Array.IndexOf(bytes, (byte)'\n');
        return nl <= 0 ? null : System.Text.Encoding.UTF8.GetString(bytes, 0, nl);
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription) return;
        foreach (var (token, open) in _open)
            if (open.Line is null && _open.TryRemove(token, out var park)) park.Answer(RedisValue.Null); // parklist: a list keeps its hand-off
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
        // Continuations run on the thread that answers (the pub/sub handler, or the park line's own
        // thread: parklist), as WakeHub's do: the waiter only parses the message and returns the task.
        private readonly TaskCompletionSource<RedisValue> _answer = new();

        public int Slot { get; } = slot;
        public string Id { get; } = id;
        public string TokenPrefix { get; } = tokenPrefix;
        public string Token { get; } = token;
        public string Member { get; } = member;
        public long LapseMs { get; } = lapseMs;
        public long LeaseMs { get; } = leaseMs;
        public Task<RedisValue> Answered => _answer.Task;

        /// <summary>parklist: the line its leaser waits on (null: the pub/sub channel), and its list.</summary>
        public ParkLine? Line { get; set; }
        public RedisKey List { get; init; }

        /// <summary>parklist: 1 once its BLPOP was sent (the line then frees the slot).</summary>
        public int Blocking;

        public void Answer(RedisValue message) => _answer.TrySetResult(message);
    }
}
