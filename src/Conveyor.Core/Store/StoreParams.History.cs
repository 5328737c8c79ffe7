namespace Conveyor.Store;

/// <summary>The minutes [From, To) of one queue (null: every queue summed); both whole UTC minutes.</summary>
public sealed record HistoryListParams(string? Queue, DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The longest window one call reads: 7 days of minutes.</summary>
    public const int MaxMinutes = 10_080;

    /// <summary>How long a store keeps the per-minute counts: 7 days, plus a day so the oldest minute of a full window is always there.</summary>
    public static readonly TimeSpan Keep = TimeSpan.FromDays(8);
}

/// <summary>One minute of one queue (or of all): attempts that succeeded and attempts that failed in it.</summary>
public sealed record HistoryBucket(DateTimeOffset At, long Succeeded, long Failed);

/// <summary>Minute arithmetic shared by the stores, so both cut time the same way.</summary>
public static class HistoryMinutes
{
    /// <summary>Whole minutes since the Unix epoch: the bucket <paramref name="t"/> falls in.</summary>
    public static long Of(DateTimeOffset t) => Math.DivRem(t.ToUnixTimeMilliseconds(), 60_000, out var rem) - (rem < 0 ? 1 : 0);

    public static DateTimeOffset Start(long minute) => DateTimeOffset.FromUnixTimeMilliseconds(minute * 60_000);

    /// <summary>
    /// One bucket per minute of [<paramref name="from"/>, <paramref name="to"/>), oldest first: the counts
    /// found (by minute number) or zeros.
    /// </summary>
    public static IReadOnlyList<HistoryBucket> Fill(long from, long to, IReadOnlyDictionary<long, (long Succeeded, long Failed)> found)
    {
        var list = new List<HistoryBucket>((int)Math.Max(0, to - from));
        for (var m = from; m < to; m++)
        {
            var (s, f) = found.TryGetValue(m, out var c) ? c : (0, 0);
            list.Add(new HistoryBucket(Start(m), s, f));
        }
        return list;
    }
}
