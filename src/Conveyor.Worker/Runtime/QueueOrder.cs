using System.Globalization;
using Conveyor.Engine;

namespace Conveyor.Worker.Runtime;

/// <summary>
/// The order in which one lease call asks for the worker's queues (Sidekiq's two fetch orders).
/// Strict (<c>high,low</c>): always as listed, so all ready work of <c>high</c> goes before any of
/// <c>low</c>. Weighted (<c>high:3,low:1</c>): each lease draws the order at random, a queue coming first
/// with a chance proportional to its weight (weighted sampling without replacement), so a busy
/// <c>high</c> takes about three leases in four and <c>low</c> still gets the fourth instead of starving.
/// The store then leases in the drawn order, so a lease never comes back empty while any listed queue
/// has work. A pure policy: the randomness is passed in.
/// </summary>
internal sealed class QueueOrder
{
    private readonly string[] _names;
    private readonly int[] _weights; // empty: strict
    private readonly Random _random;

    private QueueOrder(string[] names, int[] weights, Random random)
    {
        _names = names;
        _weights = weights;
        _random = random;
    }

    /// <summary>The queue names, as listed (what the worker registry shows).</summary>
    public IReadOnlyList<string> Names => _names;

    public bool Weighted => _weights.Length > 0;

    /// <summary>The order for the next lease call: the listed order when strict, a fresh weighted draw otherwise.</summary>
    public IReadOnlyList<string> Next()
    {
        if (!Weighted || _names.Length == 1) return _names;
        var order = new string[_names.Length];
        var left = (int[])_weights.Clone();
        var total = 0;
        foreach (var w in left) total += w;
        for (var k = 0; k < order.Length; k++)
        {
            var pick = _random.Next(total);
            var i = 0;
            while (pick >= left[i]) pick -= left[i++];
            order[k] = _names[i];
            total -= left[i];
            left[i] = 0;
        }
        return order;
    }

    public const int MaxWeight = 1000;

    /// <summary>
    /// Parses the entries of <see cref="WorkerOptions.Queues"/>: each a queue name, or <c>name:weight</c>
    /// (weight 1..1000). Either every entry has a weight (weighted) or none has (strict). Problems are
    /// added to <paramref name="errors"/>; null when there are any.
    /// </summary>
    public static QueueOrder? Parse(IReadOnlyList<string> entries, Random random, List<string> errors)
    {
        var names = new string[entries.Count];
        var weights = new int[entries.Count];
        var weighted = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i] ?? "";
            var colon = entry.IndexOf(':');
            names[i] = colon < 0 ? entry : entry[..colon];
            if (Conveyor.Engine.Names.CheckQueue(names[i]) is { } e) errors.Add(e);
            if (colon < 0) continue;
            weighted++;
            if (!int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out weights[i]) || weights[i] < 1 || weights[i] > MaxWeight)
                errors.Add($"queue weight must be a whole number from 1 to {MaxWeight}: '{entry}' (write name:weight, e.g. high:3)");
        }
        if (weighted > 0 && weighted < entries.Count)
            errors.Add("give every queue a weight (high:3,low:1) or none (strict order: high,low)");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length) errors.Add("a queue is listed twice");
        return errors.Count > 0 ? null : new QueueOrder(names, weighted > 0 ? weights : [], random);
    }
}
