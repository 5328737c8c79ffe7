using Conveyor.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Conveyor.Cli.Infrastructure;

/// <summary>
/// OpenTelemetry export of <c>conveyor server|worker|up</c>: OTLP, configured by the standard
/// variables (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS, OTEL_SERVICE_NAME, ...), off unless an
/// endpoint is set; and a worker's own Prometheus endpoint (<c>--metrics-port</c>).
/// </summary>
internal static class Telemetry
{
    public static bool OtlpConfigured =>
        !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
        || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));

    /// <summary>Traces (Conveyor's spans, and ASP.NET Core's for requests that arrive with a trace context) and metrics, over OTLP.</summary>
    public static void AddOtlp(IServiceCollection services, string serviceName)
    {
        if (!OtlpConfigured) return;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? serviceName))
            .WithTracing(t => t
                .SetSampler(new ConveyorSampler())
                .AddSource(ConveyorDiagnostics.ActivitySourceName, "Microsoft.AspNetCore")
                .AddOtlpExporter())
            .WithMetrics(m => m.AddMeter(ConveyorDiagnostics.MeterName).AddOtlpExporter());
    }

    /// <summary>Conveyor's meters on http://127.0.0.1:PORT/metrics (Prometheus text), for a worker that has no broker's /metrics.</summary>
    public static void AddMetricsEndpoint(IServiceCollection services, int port)
    {
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(ConveyorDiagnostics.MeterName)
            .AddPrometheusHttpListener(o => { o.Host = "127.0.0.1"; o.Port = port; }));
    }

    /// <summary>
    /// Follows the parent's decision; of root spans keeps only Conveyor's own (a submit without a
    /// caller's trace, a maintenance run). A request that arrives without a trace context (a worker's
    /// lease poll, a heartbeat) starts no trace of its own: that would be one trace per poll.
    /// </summary>
    private sealed class ConveyorSampler : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters p)
        {
            if (p.ParentContext.TraceId != default)
                return new((p.ParentContext.TraceFlags & System.Diagnostics.ActivityTraceFlags.Recorded) != 0 ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
            return new(p.Name.StartsWith("conveyor.", StringComparison.Ordinal) ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
        }
    }
}
