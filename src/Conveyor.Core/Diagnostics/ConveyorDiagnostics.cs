using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Conveyor.Diagnostics;

/// <summary>
/// The names of Conveyor's meter and activity source, and its instruments (DESIGN §7). Export them
/// with OpenTelemetry (<c>AddMeter(ConveyorDiagnostics.MeterName)</c>); the server does at /metrics.
/// </summary>
public static class ConveyorDiagnostics
{
    public const string MeterName = "Conveyor";
    public const string ActivitySourceName = "Conveyor";
    public const string TraceParentKey = "traceparent";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
    public static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Submitted = Meter.CreateCounter<long>("conveyor.tasks.submitted", "{task}", "Tasks accepted by the store");
    public static readonly Counter<long> Started = Meter.CreateCounter<long>("conveyor.tasks.started", "{task}", "Attempts started (leases handed out)");
    public static readonly Counter<long> Succeeded = Meter.CreateCounter<long>("conveyor.tasks.succeeded", "{task}", "Tasks that succeeded");
    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("conveyor.tasks.failed", "{task}", "Failed attempts (retried or dead)");
    public static readonly Counter<long> Retried = Meter.CreateCounter<long>("conveyor.tasks.retried", "{task}", "Failed attempts scheduled for a retry");
    public static readonly Counter<long> Dead = Meter.CreateCounter<long>("conveyor.tasks.dead", "{task}", "Tasks moved to the dead-letter queue");
    public static readonly Histogram<double> RunTime = Meter.CreateHistogram<double>("conveyor.task.run_time", "s", "Handler run time of an attempt");
    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("conveyor.task.queue_wait", "s", "Time from due to leased");
}
