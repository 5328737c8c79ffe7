using System.Globalization;

namespace Conveyor.Cli.Bench;

/// <summary>The least, the median and the largest of one figure over several runs.</summary>
internal sealed record Spread(double Min, double Median, double Max)
{
    public static Spread? Of(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return null;
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Spread(sorted[0], median, sorted[^1]);
    }

    public string Text(string format) => string.Create(CultureInfo.InvariantCulture, $"{Min.ToString(format, CultureInfo.InvariantCulture)}/{Median.ToString(format, CultureInfo.InvariantCulture)}/{Max.ToString(format, CultureInfo.InvariantCulture)}");
}

/// <summary>
/// <c>conveyor bench --runs R</c>: W1, W2 and W3 run R times in one process (the first run warms it
/// up; the later ones measure a warm process), each figure reported as min/median/max, so a reader
/// sees how steady the figures are, not one lucky or unlucky run.
/// </summary>
internal sealed record BenchSpread(int Runs, Spread? W1Processed, Spread? EnqueueSingle, Spread? EnqueueBatch, Spread? W2P50Ms, Spread? W2P99Ms, Spread? W3Processed)
{
    public static BenchSpread Of(IReadOnlyList<BenchReport> runs) => new(
        runs.Count,
        Spread.Of(runs.Where(r => r.W1 is not null).Select(r => r.W1!.ProcessedPerSecond)),
        Spread.Of(runs.Where(r => r.W1 is not null).Select(r => r.W1!.EnqueueSinglePerSecond)),
        Spread.Of(runs.Where(r => r.W1 is not null).Select(r => r.W1!.EnqueueBatchPerSecond)),
        Spread.Of(runs.Where(r => r.W2 is not null).Select(r => r.W2!.P50Ms)),
        Spread.Of(runs.Where(r => r.W2 is not null).Select(r => r.W2!.P99Ms)),
        Spread.Of(runs.Where(r => r.W3 is not null).Select(r => r.W3!.ProcessedPerSecond)));

    public string Line(string target)
    {
        var parts = new List<string> { $"Spread         target={target} runs={Runs} (min/median/max)" };
        if (W1Processed is { } p) parts.Add($"W1_processed={p.Text("F0")}/s");
        if (EnqueueSingle is { } s) parts.Add($"enqueue_single={s.Text("F0")}/s");
        if (EnqueueBatch is { } b) parts.Add($"enqueue_batch={b.Text("F0")}/s");
        if (W2P50Ms is { } p50) parts.Add($"W2_p50={p50.Text("F3")}ms");
        if (W2P99Ms is { } p99) parts.Add($"W2_p99={p99.Text("F3")}ms");
        if (W3Processed is { } w3) parts.Add($"W3_processed={w3.Text("F0")}/s");
        return string.Join(' ', parts);
    }
}
