using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Conveyor.Diagnostics;
using Conveyor.Model;

namespace Conveyor.Worker.Tests.Handlers;

public sealed class TracingTests
{
    [Fact]
    public async Task The_task_span_is_a_child_of_the_traceparent_in_the_tasks_metadata()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ConveyorDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);

        await using var h = new WorkerHarness();
        string? seenTraceId = null;
        h.Handlers.Add("traced", (JsonElement _, TaskContext _) => { seenTraceId = Activity.Current?.TraceId.ToString(); return default; });
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string parentSpan = "00f067aa0ba902b7";
        var id = await h.SubmitAsync("traced", metadata: new Dictionary<string, string> { ["traceparent"] = $"00-{traceId}-{parentSpan}-01" });
        await h.StartAsync();
        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(id)).State);
        await h.StopAsync();

        var span = Assert.Single(stopped, a => Equals(a.GetTagItem("conveyor.task.id"), id));
        Assert.Equal(traceId, span.TraceId.ToString());
        Assert.Equal(parentSpan, span.ParentSpanId.ToString());
        Assert.Equal("traced", span.GetTagItem("conveyor.task.type"));
        Assert.Equal(traceId, seenTraceId); // the handler runs inside the span
    }
}
