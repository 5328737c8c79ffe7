using System.Globalization;
using Conveyor.Cli.Infrastructure;

namespace Conveyor.Cli.Bench;

/// <summary>The backlog workload's flags, checked, and how it reads the size of a store.</summary>
internal static class BacklogOptions
{
    public static IReadOnlyList<int> ParseLevels(string text)
    {
        var levels = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var level) || level is < 0 or > 10_000_000)
                throw new CliException($"--backlog: '{part}' is not a number of tasks between 0 and 10000000");
            levels.Add(level);
        }
        if (levels.Count == 0) throw new CliException("--backlog: name at least one number of waiting tasks, e.g. 10000,100000,1000000");
        return levels;
    }

    /// <summary>Bytes the store takes now: the SQLite file and its WAL, Redis's used_memory; null for <c>:memory:</c>.</summary>
    public static Func<Task<long?>> StoreSize(StoreSpec spec, RedisCostMeter? meter)
    {
        if (meter is not null) return async () => await meter.UsedMemory().ConfigureAwait(false);
        if (spec.Kind == StoreKind.Sqlite && spec.Location != ":memory:")
            return () => Task.FromResult<long?>(new[] { spec.Location, spec.Location + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length));
        return () => Task.FromResult<long?>(null);
    }
}
