using System.Collections;

namespace Conveyor.Server.Auth;

/// <summary>
/// The accepted tokens, safe to read while they are replaced: every read sees one whole set (an
/// array swapped at once), so a request checked during a reload of the tokens file matches against
/// the old set or the new one, never half of each. Writes are rare (start-up, a reload).
/// </summary>
public sealed class TokenList : IList<ApiToken>, IReadOnlyList<ApiToken>
{
    private readonly Lock _write = new();
    private volatile ApiToken[] _items = [];

    /// <summary>The set as it is now (one snapshot).</summary>
    public IReadOnlyList<ApiToken> Snapshot => _items;

    /// <summary>Replaces the whole set at once.</summary>
    public void Replace(IEnumerable<ApiToken> tokens)
    {
        lock (_write) _items = [.. tokens];
    }

    public ApiToken this[int index]
    {
        get => _items[index];
        set { lock (_write) { var copy = (ApiToken[])_items.Clone(); copy[index] = value; _items = copy; } }
    }

    public int Count => _items.Length;
    public bool IsReadOnly => false;

    public void Add(ApiToken item) { lock (_write) _items = [.. _items, item]; }
    public void Clear() => Replace([]);
    public bool Contains(ApiToken item) => Array.IndexOf(_items, item) >= 0;
    public void CopyTo(ApiToken[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);
    public int IndexOf(ApiToken item) => Array.IndexOf(_items, item);

    public void Insert(int index, ApiToken item)
    {
        lock (_write) { var list = _items.ToList(); list.Insert(index, item); _items = [.. list]; }
    }

    public bool Remove(ApiToken item)
    {
        lock (_write)
        {
            var i = Array.IndexOf(_items, item);
            if (i < 0) return false;
            _items = [.. _items.Where((_, j) => j != i)];
            return true;
        }
    }

    public void RemoveAt(int index)
    {
        lock (_write) _items = [.. _items.Where((_, j) => j != index)];
    }

    public IEnumerator<ApiToken> GetEnumerator() => ((IEnumerable<ApiToken>)_items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
