namespace Conveyor.Store;

/// <summary>
/// Builds <see cref="MaintenanceResult.Reclaims"/>: each store adds one entry per reclaimed lease, with
/// where it went (scheduled: retried; failed: dead), and takes the counts by queue and type.
/// </summary>
public sealed class MaintenanceReclaims
{
    private readonly Dictionary<(string Queue, string Type), (int Retried, int Dead)> _counts = [];

    public void Add(string queue, string type, bool dead)
    {
        var c = _counts.GetValueOrDefault((queue, type));
        _counts[(queue, type)] = dead ? (c.Retried, c.Dead + 1) : (c.Retried + 1, c.Dead);
    }

    public IReadOnlyList<MaintenanceReclaim> ToList() =>
        [.. _counts.Select(kv => new MaintenanceReclaim(kv.Key.Queue, kv.Key.Type, kv.Value.Retried, kv.Value.Dead))];
}
