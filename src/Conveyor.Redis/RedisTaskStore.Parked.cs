using System.Buffers.Text;
using Conveyor.Redis.Scripts;
using Conveyor.Redis.Signals;
using Conveyor.Store;
using StackExchange.Redis;

namespace Conveyor.Redis;

/// <summary>
/// parked: the one-step lease. A leaser waiting on one queue that finds nothing leaves a park record
/// in the same TaskLease call; TaskEnqueueMany leases the next task straight to a parked leaser and
/// pushes it on the park's own list, which the leaser waits on in a BLPOP (parklist,
/// Signals/ParkLines.cs), or publishes it on that process's park channel where no blocking connection
/// can be had (park_handoff, Lua/Lib.lua), so a pickup is the
/// submit's round trip alone, not the wake followed by a lease script. A park lapses after at most
/// <see cref="ParkLapse"/> (the leaser then takes it back and parks again): a leaser that died leaves
/// a record that takes tasks only until then, and one it took is an ordinary lease, reclaimed when it
/// expires. Every other path (a paused queue, limits, expiring tasks, work made ready by a retry, a
/// release or a promotion) still wakes parked leasers through the queue's wake, and they lease as
/// before.
/// </summary>
public sealed partial class RedisTaskStore
{
    /// <summary>The longest a park record stands before its leaser renews it (two round trips per lapse on an idle leaser).</summary>
    internal static readonly TimeSpan ParkLapse = TimeSpan.FromSeconds(2);

    private ParkHub? _parkHub;

    private ParkHub Parks => LazyInitializer.EnsureInitialized(ref _parkHub, () => new ParkHub(_mux, _keys, _parkLines));

    /// <summary>parklist: BLPOPs sent by parked leasers (the bench adds them to the client's command count).</summary>
    internal long ParkLineCalls => _parkLines?.Calls ?? 0;

    /// <summary>A waiting lease of one queue parks (several queues could be handed one task each, past Max).</summary>
    private static bool Parkable(TaskLeaseParams request) => request.Wait > TimeSpan.Zero && request.Queues.Count == 1 && request.Max >= 1;

    /// <summary>LeaseOnce, with a park when the request may park: the park is returned when its record was left.</summary>
    private async Task<(List<LeasedTask> Leased, long NextDueMs, ParkHub.Park? Park)> LeaseOrPark(TaskLeaseParams request, DateTimeOffset deadline)
    {
        if (!Parkable(request) || deadline - _time.GetUtcNow() < TimeSpan.FromMilliseconds(1))
        {
            var (l, n, _) = await LeaseOnce(request, null).ConfigureAwait(false);
            return (l, n, null);
        }
        var now = _time.GetUtcNow();
        var lapse = deadline - now < ParkLapse ? deadline - now : ParkLapse;
        var park = await Parks.Open(request.Queues[0], request.WorkerId, TaskHash.Ms(request.LeaseDuration), now.ToUnixTimeMilliseconds() + Math.Max(1, TaskHash.Ms(lapse))).ConfigureAwait(false);
        try
        {
            var (leased, next, parked) = await LeaseOnce(request, park).ConfigureAwait(false);
            if (parked)
            {
                Parks.Block(park); // parklist: its BLPOP, when it waits on a list
                return (leased, next, park);
            }
            Abandon(park);
            return (leased, next, null);
        }
        catch
        {
            // The record may stand if the script ran and only its answer was lost: it lapses within
            // ParkLapse, and a task handed to it meanwhile is reclaimed when its lease expires.
            Abandon(park);
            throw;
        }
    }

    private void Abandon(ParkHub.Park park)
    {
        Parks.Withdraw(park);
        Parks.Close(park);
    }

    /// <summary>How long a parked leaser may wait before taking its park back: until the record lapses.</summary>
    private TimeSpan UntilLapse(ParkHub.Park park) => DateTimeOffset.FromUnixTimeMilliseconds(park.LapseMs) - _time.GetUtcNow();

    /// <summary>
    /// A parked leaser stops waiting: the task handed to it (by its message, or by TaskUnpark when the
    /// message has not come), or null with the record gone. While Redis is unreachable (a restart under
    /// a waiting leaser) TaskUnpark is tried again until the lease's own deadline; past it the record is
    /// left to lapse (a task handed to it meanwhile is reclaimed when its lease expires). A store
    /// closing under it answers nothing (its connection may be gone).
    /// </summary>
    private async Task<LeasedTask?> EndPark(ParkHub.Park park, TaskLeaseParams request, DateTimeOffset deadline, CancellationToken ct)
    {
        try
        {
            var message = Parks.Withdraw(park) ? RedisValue.Null : await park.Answered.ConfigureAwait(false);
            var q = Q(request.Queues[0]);
            while (message.IsNull)
            {
                try
                {
                    var answer = await _scripts.Run(ScriptCatalog.TaskUnpark, park.Line is null ? [q.Parked, q.ParkHandoff(park.Id)] : [q.Parked, q.ParkHandoff(park.Id), park.List], [q.TaskPrefix, park.Member, park.Token]).ConfigureAwait(false);
                    if (answer.IsNull) return null;
                    message = (RedisValue)answer;
                }
                catch (Exception) when (_closing.IsCancellationRequested || ct.IsCancellationRequested)
                {
                    return null; // closing or cancelled: the record lapses by itself
                }
                catch (Exception e) when (StoreUnreachableException.IsUnreachable(e) && _time.GetUtcNow() < deadline && !ct.IsCancellationRequested)
                {
                    await WaitReconnected(deadline - _time.GetUtcNow(), ct).ConfigureAwait(false);
                }
            }
            return HandedOff((byte[])message!, park, request);
        }
        finally
        {
            Parks.Close(park);
        }
    }

    /// <summary>A hand-off message (park_payload in Lua/Lib.lua): token, the lease's now, then 9 values "&lt;length&gt;:&lt;bytes&gt;" or "-".</summary>
    private static LeasedTask HandedOff(byte[] m, ParkHub.Park park, TaskLeaseParams request)
    {
        var pos = Array.IndexOf(m, (byte)'\n') + 1;
        var nl = Array.IndexOf(m, (byte)'\n', pos);
        if (pos <= 0 || nl < 0 || !Utf8Parser.TryParse(m.AsSpan(pos, nl - pos), out long nowMs, out _))
            throw new InvalidDataException("a parked lease's message has no lease time");
        pos = nl + 1;
        var read = new RedisValue[TaskHash.LeaseRead.Length];
        for (var k = 0; k < read.Length; k++)
        {
            if (pos < m.Length && m[pos] == (byte)'-')
            {
                read[k] = RedisValue.Null;
                pos += 2;
                continue;
            }
            var colon = Array.IndexOf(m, (byte)':', pos);
            if (colon < 0 || !Utf8Parser.TryParse(m.AsSpan(pos, colon - pos), out int len, out _) || colon + 1 + len > m.Length)
                throw new InvalidDataException("a parked lease's message is cut short");
            read[k] = m.AsSpan(colon + 1, len).ToArray();
            pos = colon + 2 + len;
        }
        var written = new TaskHash.LeaseWrite(nowMs, nowMs + park.LeaseMs, request.WorkerId, park.TokenPrefix, request.Queues[0]);
        var (task, token) = TaskHash.ReadLeased(read, written, 1);
        return new LeasedTask(task, token, task.LeaseDeadline ?? DateTimeOffset.FromUnixTimeMilliseconds(written.DeadlineMs));
    }
}
