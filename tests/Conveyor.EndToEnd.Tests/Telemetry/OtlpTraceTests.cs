using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Conveyor.Diagnostics;
using Conveyor.Model;

namespace Conveyor.EndToEnd.Tests.Telemetry;

/// <summary>
/// Traces across real processes: this test's .NET client submits over HTTP to a <c>conveyor server</c>,
/// a remote <c>conveyor worker</c> runs the task, and both processes export their spans over
/// OTLP/HTTP protobuf (configured only by the standard OTEL_* variables) to a receiver this test runs.
/// The worker's attempt span must be the child of the broker's submit span, in the client's trace.
/// </summary>
public sealed class OtlpTraceTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_remote_workers_attempt_span_is_the_child_of_the_submit_span_exported_over_otlp()
    {
        await using var receiver = new OtlpReceiver();
        var env = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "60000",
        };
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var server = ConveyorProcess.Start(_env.Directory, env, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath);
        await server.WaitForOutput("Conveyor is running");
        await using var worker = ConveyorProcess.Start(_env.Directory, env, "worker", "--broker", url);
        await worker.WaitForOutput("worker ");

        // The client's own span, under a sampled root of this test: HttpClient carries its context.
        var clientSpans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is ConveyorDiagnostics.ActivitySourceName or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = clientSpans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var (client, http) = TestEnvironment.Client(url);
        using var _ = http;
        string taskId;
        ActivityTraceId traceId;
        ActivitySpanId clientSpanId;
        using (var root = new Activity("test.root"))
        {
            root.SetIdFormat(ActivityIdFormat.W3C);
            root.ActivityTraceFlags = ActivityTraceFlags.Recorded;
            root.Start();
            traceId = root.TraceId;
            taskId = (await client.Submit(new TaskSubmission { Type = "noop" })).Task.Id;
            var clientSpan = Assert.Single(clientSpans, a => a.TraceId == traceId && a.OperationName == "conveyor.client.submit");
            Assert.Equal(ActivityKind.Client, clientSpan.Kind);
            clientSpanId = clientSpan.SpanId;
        }
        Assert.Equal(TaskState.Succeeded, (await client.Wait(taskId, TimeSpan.FromSeconds(60)))!.State);
        var task = (await client.Get(taskId))!;
        Assert.Equal(traceId.ToHexString(), task.TraceId); // trace_id in the task's view

        // Waited for with the broker's request span too: it ends after the submit span inside it, so a
        // batch export can carry the one and leave the other for the next export, seconds later.
        OtlpReceiver.Span? submit = null, attempt = null, parent = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && (submit is null || attempt is null || parent is null))
        {
            submit = receiver.Spans.FirstOrDefault(s => s.Name == "conveyor.task.submit" && s.TraceId == traceId.ToHexString());
            attempt = receiver.Spans.FirstOrDefault(s => s.Name == "conveyor.task.process" && s.Attributes.GetValueOrDefault("conveyor.task.id") == taskId);
            parent = submit is null ? null : receiver.Spans.FirstOrDefault(s => s.SpanId == submit.ParentSpanId);
            await Task.Delay(100);
        }
        Assert.True(submit is not null, $"the server exported its submit span; received: {string.Join(", ", receiver.Spans.Select(s => $"{s.Service}/{s.Name}"))}\n{server.Output}");
        Assert.True(attempt is not null, $"the worker exported its attempt span; received: {string.Join(", ", receiver.Spans.Select(s => $"{s.Service}/{s.Name}"))}\n{worker.Output}");

        Assert.Equal("conveyor-server", submit.Service);
        Assert.Equal(4, submit.Kind); // SPAN_KIND_PRODUCER
        Assert.Equal("conveyor-worker", attempt.Service);
        Assert.Equal(5, attempt.Kind); // SPAN_KIND_CONSUMER
        Assert.Equal(submit.TraceId, attempt.TraceId);
        Assert.Equal(submit.SpanId, attempt.ParentSpanId);
        Assert.Equal("noop", attempt.Attributes["conveyor.task.type"]);
        Assert.Equal("1", attempt.Attributes["conveyor.task.attempt"]);
        // The submit span descends from the client's span: through the broker's request span, whose
        // parent is HttpClient's request span (the traceparent header names it), a child of the client span.
        var request = Assert.Single(receiver.Spans, s => s.SpanId == submit.ParentSpanId);
        Assert.Equal(2, request.Kind); // SPAN_KIND_SERVER
        var httpOut = Assert.Single(clientSpans, a => a.SpanId.ToHexString() == request.ParentSpanId);
        Assert.Equal(clientSpanId, httpOut.ParentSpanId);
    }

    public void Dispose() => _env.Dispose();
}
