using System.Diagnostics.Metrics;
using Conveyor.Engine;
using Conveyor.Store;

namespace Conveyor.Server.Observability;

/// <summary>
/// Queue depth by state, the age of the oldest pending task per queue (what operators alert on) and
/// live worker gauges for /metrics (DESIGN §7). Observable gauges are read synchronously by the
/// exporter, so they report a snapshot the maintenance loop refreshes every few seconds instead of
/// querying the store on each scrape.
/// </summary>
internal sealed class QueueGauges : IDisposable
{
    public const string MeterName = "Conveyor.Server";

    private readonly TaskEngine engine;
    private readonly ServerOptions options;
    private readonly Meter meter;
    private readonly TimeProvider time;
    private volatile IReadOnlyList<QueueInfo> queues = [];
    private volatile int workers;

    public QueueGauges(TaskEngine engine, ServerOptions options, IMeterFactory meters)
    {
        time = engine.Time;
        this.engine = engine;
        this.options = options;
        meter = meters.Create(MeterName);
        meter.CreateObservableGauge("conveyor.queue.depth", Depths, "{task}", "Tasks per queue and state");
        meter.CreateObservableGauge("conveyor.queue.oldest_age", OldestAges, "s", "Age of the oldest pending task per queue (now - its scheduled_for)");
        meter.CreateObservableGauge("conveyor.workers.live", () => workers, "{worker}", "Workers with a recent heartbeat");
    }

    public async Task Refresh(CancellationToken ct)
    {
        queues = await engine.QueueList(ct);
        workers = (await engine.WorkerList(options.WorkerLiveWithin, ct)).Live.Count;
    }

    private IEnumerable<Measurement<long>> Depths()
    {
        foreach (var q in queues)
        {
            yield return new(q.Pending, new("queue", q.Name), new("state", "pending"));
            yield return new(q.Scheduled, new("queue", q.Name), new("state", "scheduled"));
            yield return new(q.Running, new("queue", q.Name), new("state", "running"));
            yield return new(q.Failed, new("queue", q.Name), new("state", "failed"));
            yield return new(q.Succeeded, new("queue", q.Name), new("state", "succeeded"));
            yield return new(q.Cancelled, new("queue", q.Name), new("state", "cancelled"));
        }
    }

    private IEnumerable<Measurement<double>> OldestAges()
    {
        var now = time.GetUtcNow();
        foreach (var q in queues)
            yield return new(q.OldestPendingAt is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0, new KeyValuePair<string, object?>("queue", q.Name));
    }

    public void Dispose() => meter.Dispose();
}
