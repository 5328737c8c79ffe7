using Conveyor.Json;
using Conveyor.Redis.Scripts;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

public sealed partial class RedisTaskStore
{
    private const int PromoteLimit = 1000;

    /// <summary>
    /// One TaskLease script per queue, in the caller's order, until Max tasks are leased. When none is
    /// ready the call blocks on the queues' wake signals (pub/sub, see <see cref="Signals.WakeHub"/>)
    /// and a timer to the earliest scheduled due time, never on a polling sleep.
    /// </summary>
    public async ValueTask<IReadOnlyList<LeasedTask>> TaskLease(TaskLeaseParams request, CancellationToken ct = default)
    {
        var deadline = _time.GetUtcNow() + request.Wait;
        for (var pass = 0; ; pass++)
        {
            ct.ThrowIfCancellationRequested();
            Task[]? wakes = null;
            List<LeasedTask> leased;
            long nextDueMs;
            Signals.ParkHub.Park? park; // parked: RedisTaskStore.Parked.cs
            try
            {
                if (request.Wait > TimeSpan.Zero)
                {
                    wakes = new Task[request.Queues.Count];
                    for (var i = 0; i < wakes.Length; i++) wakes[i] = await _wake.Arm(request.Queues[i]).ConfigureAwait(false);
                }
                (leased, nextDueMs, park) = await LeaseOrPark(request, deadline).ConfigureAwait(false);
            }
            catch (Exception e) when (pass > 0 && StoreUnreachableException.IsUnreachable(e) && _time.GetUtcNow() < deadline && !_closing.IsCancellationRequested)
            {
                // ops: a lease already blocked rides out a Redis restart (commands fail fast while no connection
                // is up): it waits for the reconnect within its own wait instead of failing. Only the first
                // look fails at once, so a caller learns promptly that the store is not there.
                await WaitReconnected(deadline - _time.GetUtcNow(), ct).ConfigureAwait(false);
                continue;
            }
            if (leased.Count > 0 || wakes is null) return leased;

            var now = _time.GetUtcNow();
            var remaining = deadline - now;
            if (remaining <= TimeSpan.Zero) return park is not null && await EndPark(park, request, deadline, ct).ConfigureAwait(false) is { } last ? [last] : leased; // parked
            if (nextDueMs > 0)
            {
                var untilDue = DateTimeOffset.FromUnixTimeMilliseconds(nextDueMs) - now;
                if (untilDue < remaining) remaining = untilDue < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : untilDue;
            }
            if (park is not null && UntilLapse(park) < remaining) remaining = UntilLapse(park) < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : UntilLapse(park); // parked

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct, _closing.Token);
            var delay = Task.Delay(remaining, _time, timer.Token);
            await Task.WhenAny([.. wakes, delay, park?.Answered ?? delay]).ConfigureAwait(false);
            if (park is not null) // parked: the delay's timer goes now (the wake path below cancels it too)
            {
                timer.Cancel();
                if (await EndPark(park, request, deadline, ct).ConfigureAwait(false) is { } handed) return [handed];
            }
            if (_closing.IsCancellationRequested) return leased; // the store is closing: hand back nothing
            // pickup: Cancel, not await CancelAsync: the only callback is the delay's own timer, and awaiting
            // CancelAsync sent the woken leaser through the thread pool before its next lease script,
            // undoing the inline wake (WakeHub) with one more hop per pickup.
            timer.Cancel();
        }
    }

    private async Task<(List<LeasedTask> Leased, long NextDueMs, bool Parked)> LeaseOnce(TaskLeaseParams request, Signals.ParkHub.Park? park)
    {
        var parked = false;
        var leased = new List<LeasedTask>();
        long nextDue = 0;
        var leaseMs = TaskHash.Ms(request.LeaseDuration);
        foreach (var queue in request.Queues)
        {
            var want = request.Max - leased.Count;
            if (want <= 0) break;
            var q = Q(queue);
            var nonce = Guid.NewGuid().ToString("N")[..16];
            var nowMs = NowMs();
            var written = new TaskHash.LeaseWrite(nowMs, nowMs + leaseMs, request.WorkerId, $"{queue}/{nonce}.", queue);
            RedisValue[] args =
            [
                q.TaskPrefix, nowMs, want, leaseMs, request.WorkerId, written.TokenPrefix, q.EventsChannel, queue, PromoteLimit,
            ];
            RedisKey[] keys = park is null ? [q.Ready, q.Scheduled, q.Running, q.Meta, q.StateIndex, q.Expiring, q.FinishedExpired]
                : park.Line is null ? [q.Ready, q.Scheduled, q.Running, q.Meta, q.StateIndex, q.Expiring, q.FinishedExpired, q.Parked]
                : [q.Ready, q.Scheduled, q.Running, q.Meta, q.StateIndex, q.Expiring, q.FinishedExpired, q.Parked, park.List]; // parklist
            if (park is not null) args = [.. args, park.Member, park.LapseMs]; // parked
            var answer = (RedisResult[])(await _scripts.Run(ScriptCatalog.TaskLease, keys, args).ConfigureAwait(false))!;
            var next = (long)answer[0];
            if (next > 0 && (nextDue == 0 || next < nextDue)) nextDue = next;
            var metadata = answer.Length > 2 ? new MetadataJson.Batch() : null; // limits: tasks with equal metadata share one map
            for (var i = 1; i < answer.Length; i++)
            {
                if (answer[i].Resp2Type != ResultType.Array) { parked = true; continue; } // parked: "parked"
                var (task, token) = TaskHash.ReadLeased((RedisValue[])answer[i]!, written, i, metadata);
                leased.Add(new LeasedTask(task, token, task.LeaseDeadline ?? DateTimeOffset.FromUnixTimeMilliseconds(0)));
            }
        }
        return (leased, nextDue, parked);
    }

    /// <summary>
    /// A lease token is "&lt;queue&gt;/&lt;nonce&gt;.&lt;n&gt;": it names the task's queue, so an
    /// acknowledgement goes straight to the right slot without a lookup. The token is still only a
    /// fence: the script compares it with the task's current one.
    /// </summary>
    private static string? QueueOfToken(string? token)
    {
        if (token is null) return null;
        var slash = token.IndexOf('/');
        if (slash <= 0) return null;
        var queue = token[..slash];
        return Engine.Names.IsValidQueue(queue) ? queue : null;
    }
}
