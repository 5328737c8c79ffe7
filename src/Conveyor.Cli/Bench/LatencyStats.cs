namespace Conveyor.Cli.Bench;

/// <summary>Percentiles over a set of samples (nearest-rank on the sorted samples).</summary>
internal sealed class LatencyStats(IEnumerable<double> samplesMs)
{
    private readonly double[] _sorted = samplesMs.Order().ToArray();

    public int Count => _sorted.Length;

    public double Percentile(double p)
    {
        if (_sorted.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * _sorted.Length);
        return _sorted[Math.Clamp(rank - 1, 0, _sorted.Length - 1)];
    }

    public double P50 => Percentile(50);
    public double P99 => Percentile(99);
    public double Max => _sorted.Length == 0 ? double.NaN : _sorted[^1];
}
