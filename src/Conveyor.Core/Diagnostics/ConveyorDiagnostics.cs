using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Conveyor.Diagnostics;

/// <summary>
/// The names of Conveyor's meter and activity source, and its instruments (DESIGN §7). Export them
/// with OpenTelemetry (<c>AddMeter(ConveyorDiagnostics.MeterName)</c>,
/// <c>AddSource(ConveyorDiagnostics.ActivitySourceName)</c>); the server does at /metrics, and
/// <c>conveyor server|worker|up</c> export traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// Every task counter carries the tags <see cref="QueueTag"/> and <see cref="TypeTag"/>, and is
/// recorded by <see cref="Engine.TaskEngine"/> where the transition happens (maintenance included),
/// so a process counts exactly the transitions its engine made. The names are listed in
/// docs/operations.md ("Metrics and tracing").
/// </summary>
public static class ConveyorDiagnostics
{
    public const string MeterName = "Conveyor";
    public const string ActivitySourceName = "Conveyor";
    public const string TraceParentKey = "traceparent";

    public const string QueueTag = "queue";
    public const string TypeTag = "type";
    public const string OperationTag = "operation";
    public const string OutcomeTag = "outcome";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
    public static readonly Meter Meter = new(MeterName);

    /// <summary>1 ms .. 1 h: from a no-op task to the longest lease, with about three buckets per decade.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    /// <summary>Store calls are quicker: 0.1 ms .. 10 s (a lease's blocking wait is up to 60 s, the last bucket).</summary>
    public static readonly IReadOnlyList<double> StoreBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public static readonly Counter<long> Submitted = Meter.CreateCounter<long>("conveyor.tasks.submitted", "{task}", "Tasks accepted by the store (an idempotency-key repeat is not counted)");
    public static readonly Counter<long> Started = Meter.CreateCounter<long>("conveyor.tasks.started", "{task}", "Attempts started (leases handed out)");
    public static readonly Counter<long> Succeeded = Meter.CreateCounter<long>("conveyor.tasks.succeeded", "{task}", "Tasks that succeeded");
    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("conveyor.tasks.failed", "{task}", "Failed attempts, retried or dead, lease expiries included");
    public static readonly Counter<long> Retried = Meter.CreateCounter<long>("conveyor.tasks.retried", "{task}", "Failed attempts scheduled for a retry");
    public static readonly Counter<long> Dead = Meter.CreateCounter<long>("conveyor.tasks.dead", "{task}", "Tasks moved to the dead-letter queue");
    public static readonly Counter<long> Cancelled = Meter.CreateCounter<long>("conveyor.tasks.cancelled", "{task}", "Tasks cancelled (pending, scheduled or running)");
    public static readonly Counter<long> Expired = Meter.CreateCounter<long>("conveyor.tasks.expired", "{task}", "Tasks ended expired by maintenance: not started before their expires_at");
    public static readonly Counter<long> LeaseExpired = Meter.CreateCounter<long>("conveyor.tasks.lease_expired", "{task}", "Attempts whose lease expired (reclaimed by maintenance; also counted as failed)");

    public static readonly Histogram<double> RunTime = Meter.CreateHistogram<double>("conveyor.task.run_time", "s",
        "Time from lease to the attempt's outcome (complete or fail), as the engine saw it", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("conveyor.task.queue_wait", "s",
        "Time from due (scheduled_for) to leased", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    public static readonly Histogram<double> HandlerDuration = Meter.CreateHistogram<double>("conveyor.handler.duration", "s",
        "Handler run time of an attempt, in the worker that ran it (tag outcome: succeeded or failed)", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    public static readonly Histogram<double> StoreDuration = Meter.CreateHistogram<double>("conveyor.store.duration", "s",
        "Latency of store operations called by the engine (tag operation: TaskLease, TaskCompleteMany, ...)", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StoreBuckets });

    internal static TagList Tags(string queue, string type) => new() { { QueueTag, queue }, { TypeTag, type } };

    /// <summary>The trace id of a W3C traceparent (<c>00-&lt;trace id&gt;-&lt;span id&gt;-&lt;flags&gt;</c>), or null when it is not one.</summary>
    public static string? TraceIdOf(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var c) ? c.TraceId.ToHexString() : null;
}
