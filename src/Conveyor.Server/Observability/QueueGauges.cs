using System.Diagnostics.Metrics;
using Conveyor.Engine;
using Conveyor.Store;

namespace Conveyor.Server.Observability;

/// <summary>
/// Queue depth and live worker gauges for /metrics (DESIGN §7). Observable gauges are read
/// synchronously by the exporter, so they report a snapshot the maintenance loop refreshes every few
/// seconds instead of querying the store on each scrape.
/// </summary>
internal sealed class QueueGauges : IDisposable
{
    public const string MeterName = "Conveyor.Server";

    private readonly TaskEngine engine;
    private readonly ServerOptions options;
    private readonly Meter meter;
    private volatile IReadOnlyList<QueueInfo> queues = [];
    private volatile int workers;

    public QueueGauges(TaskEngine engine, ServerOptions options, IMeterFactory meters)
    {
        this.engine = engine;
        this.options = options;
        meter = meters.Create(MeterName);
        meter.CreateObservableGauge("conveyor.queue.depth", Depths, "{task}", "Tasks per queue and state");
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
        }
    }

    public void Dispose() => meter.Dispose();
}
