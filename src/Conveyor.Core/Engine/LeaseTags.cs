using System.Collections.Concurrent;
using Conveyor.Store;

namespace Conveyor.Engine;

/// <summary>
/// The queue, type and lease time of every lease this engine handed out and has not yet seen
/// acknowledged, keyed by lease token, so that complete and fail (which carry only an id and a token)
/// are metered by queue and type, and their run time measured, without a store read. A lease
/// acknowledged through another broker, or one whose worker died, leaves an entry that
/// <see cref="Purge"/> drops after <see cref="KeepFor"/>; an acknowledgement with no entry falls back
/// to reading the task.
/// </summary>
internal sealed class LeaseTags(TimeProvider time)
{
    /// <summary>Past the longest lease, with room for extensions.</summary>
    public static readonly TimeSpan KeepFor = TimeSpan.FromHours(2);

    /// <summary>Bounded: beyond this many open leases, new ones are not remembered (they fall back).</summary>
    public const int MaxEntries = 200_000;

    private readonly ConcurrentDictionary<string, Entry> _open = new(StringComparer.Ordinal);

    public readonly record struct Entry(string Queue, string Type, long LeasedAt);

    public int Count => _open.Count;

    public void Leased(LeasedTask leased)
    {
        if (_open.Count < MaxEntries) _open[leased.LeaseToken] = new(leased.Task.Queue, leased.Task.Type, time.GetTimestamp());
    }

    public bool TryTake(string leaseToken, out Entry entry) => _open.TryRemove(leaseToken, out entry);

    public void Forget(string leaseToken) => _open.TryRemove(leaseToken, out _);

    public TimeSpan Since(Entry entry) => time.GetElapsedTime(entry.LeasedAt);

    public void Purge()
    {
        foreach (var (token, e) in _open)
            if (time.GetElapsedTime(e.LeasedAt) > KeepFor) _open.TryRemove(token, out _);
    }
}
