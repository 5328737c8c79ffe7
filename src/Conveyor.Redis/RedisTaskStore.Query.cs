using Conveyor.Model;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    private const int ListScanBudget = 5_000;

    /// <summary>
    /// Two round trips: the known queues, then the id's hash in each of them, pipelined (memory: no id
    /// -> queue index since layout 3; see TaskIndex). One HGETALL per known queue; all but one miss.
    /// </summary>
    public async ValueTask<TaskRecord?> TaskGet(string id, CancellationToken ct = default)
    {
        return await Idempotent(async () =>
        {
            var queues = await KnownQueues(ct).ConfigureAwait(false);
            var db = Db;
            var hashes = await Task.WhenAll(queues.Select(queue => db.ExecuteAsync("HGETALL", Q(queue).Task(id)))).ConfigureAwait(false);
            for (var i = 0; i < queues.Length; i++)
                if (((RedisValue[])hashes[i]!) is { Length: > 0 } flat) return TaskHash.Read(flat, queues[i], id);
            return null;
        }, ct).ConfigureAwait(false);
    }

    private async Task<string?> QueueOf(string id, CancellationToken ct)
    {
        return await Idempotent(() => _index.Get(id), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Newest first. One TaskList script per queue (all known queues when none is given), each reading
    /// the queue's state index (a state's ids in id order) and bounded by a scan budget where a type or
    /// search filter looks at tasks; pages are merged by id (UUIDv7 ids sort by creation time).
    /// </summary>
    public async ValueTask<TaskPage> TaskList(TaskListParams query, CancellationToken ct = default)
    {
        await LayoutReady().WaitAsync(ct).ConfigureAwait(false); // redis-index: the index is built
        var queues = query.Queue is { } one ? [one] : await KnownQueues(ct).ConfigureAwait(false);
        var want = query.Limit + 1;
        var pages = await Task.WhenAll(queues.Select(queue => Idempotent(async () =>
        {
            var q = Q(queue);
            RedisValue[] args = [q.TaskPrefix, query.Cursor ?? "", want, query.State?.ToWire() ?? "", query.Type ?? "", ListScanBudget, .. SearchArgs(query)];
            return (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskList, [q.StateIndex, q.Idem, q.Running], args).ConfigureAwait(false))!;
        }, ct))).ConfigureAwait(false);

        // A queue whose scan ran out of budget has only been read down to its last scanned id; items of
        // other queues below that id must wait for the next page, or they would be skipped.
        string? floor = null;
        var items = new List<TaskRecord>();
        foreach (var (page, queue) in pages.Zip(queues))
        {
            if ((int)page[0] == 0 && page.Length - 2 < want)
            {
                var last = (string?)page[1];
                if (!string.IsNullOrEmpty(last) && (floor is null || string.CompareOrdinal(last, floor) > 0)) floor = last;
            }
            for (var i = 2; i < page.Length; i++) items.Add(TaskHash.Read(page[i], queue));
        }
        var sorted = items.Where(t => floor is null || string.CompareOrdinal(t.Id, floor) > 0)
            .OrderByDescending(t => t.Id, StringComparer.Ordinal).ToList();
        if (sorted.Count > query.Limit) return new TaskPage(sorted.Take(query.Limit).ToList(), sorted[query.Limit - 1].Id);
        return new TaskPage(sorted, floor);
    }

    private async Task<string[]> KnownQueues(CancellationToken ct)
    {
        var members = await Idempotent(() => Db.SetMembersAsync(_keys.Queues), ct).ConfigureAwait(false);
        return [.. members.Select(m => (string)m!).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Subscribes to events first, then reads: a terminal transition between the read and the wait
    /// still completes the waiter. Woken by the transition's own PUBLISH, never by polling.
    /// </summary>
    public async ValueTask<TaskRecord?> TaskWait(string id, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = _time.GetUtcNow() + (timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero);
        if (!await SubscribedBy(deadline, ct).ConfigureAwait(false))
            return await TaskGet(id, ct).ConfigureAwait(false); // the wait ran out while Redis was away: what it holds now (or 503)
        timeout = deadline - _time.GetUtcNow();
        using var waiter = _events.RegisterWaiter(id);
        var task = await TaskGet(id, ct).ConfigureAwait(false);
        if (task is null || task.State.IsTerminal() || timeout <= TimeSpan.Zero) return task;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(timeout, _time, timer.Token);
        await Task.WhenAny(waiter.Task, delay).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return await TaskGet(id, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The events subscription has its own connection, which can come back a moment after the one
    /// commands use (a broker answers /readyz 200 and a submit 201 while it is still reconnecting): a
    /// wait tries to subscribe again, as a lease does (WaitReconnected: at the next reconnect or within
    /// 250 ms), until its own deadline rather than answering 503 for a store that is back. False when
    /// the deadline passed first; a store that is closing answers as before.
    /// </summary>
    private async Task<bool> SubscribedBy(DateTimeOffset deadline, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await _events.EnsureSubscribed().ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (StoreUnreachableException.IsUnreachable(e) && !_closing.IsCancellationRequested)
            {
                if (_time.GetUtcNow() >= deadline) return false;
                await WaitReconnected(deadline - _time.GetUtcNow(), ct).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask<CancelResult> TaskCancel(string id, CancellationToken ct = default)
    {
        var queue = await QueueOf(id, ct).ConfigureAwait(false);
        if (queue is null) return new CancelResult(CancelOutcome.NotFound, null);
        var q = Q(queue);
        RedisValue[] args = [q.TaskPrefix, NowMs(), id, q.EventsChannel, queue];
        var a = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskCancel, [q.Ready, q.Scheduled, q.Running, q.Finished, q.Meta, q.StateIndex], args).ConfigureAwait(false))!;
        return (int)a[0] switch
        {
            0 => new CancelResult(CancelOutcome.Cancelled, TaskHash.Read(a[1], queue)),
            1 => new CancelResult(CancelOutcome.CancelledWhileRunning, TaskHash.Read(a[1], queue)),
            2 => new CancelResult(CancelOutcome.AlreadyTerminal, TaskHash.Read(a[1], queue)),
            _ => new CancelResult(CancelOutcome.NotFound, null),
        };
    }
}
