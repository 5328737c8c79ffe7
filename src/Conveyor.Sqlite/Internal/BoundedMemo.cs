using System.Collections.Concurrent;

namespace Conveyor.Sqlite.Internal;

/// <summary>
/// limits: a process-wide memo of what is derived from a text that never changes in place (a limit
/// definition parsed, a slot's <c>limit_held</c> JSON, a queue's loaded limits), shared by every store
/// and thread of the process. Bounded: past <see cref="Capacity"/> entries it starts afresh, since any
/// entry is cheap to derive again. The count is looked at only on a miss (it locks every bucket).
/// </summary>
internal sealed class BoundedMemo<TKey, TValue>(IEqualityComparer<TKey>? comparer = null) where TKey : notnull
{
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<TKey, TValue> _entries = new(comparer);

    public bool TryGet(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public TValue Set(TKey key, TValue value)
    {
        if (_entries.Count >= Capacity) _entries.Clear();
        return _entries[key] = value;
    }

    /// <summary>The value remembered for <paramref name="key"/>, or <paramref name="make"/>'s, remembered.</summary>
    public TValue Get(TKey key, Func<TKey, TValue> make) => _entries.TryGetValue(key, out var known) ? known : Set(key, make(key));
}
