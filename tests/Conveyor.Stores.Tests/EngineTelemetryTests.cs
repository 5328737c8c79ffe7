using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Conveyor.Diagnostics;
using Conveyor.Engine;
using Conveyor.Model;
using Conveyor.Sqlite;
using Conveyor.Store;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Stores.Tests;

/// <summary>
/// The engine meters every transition by queue and type where it happens, lease expiries through
/// <see cref="TaskEngine.MaintenanceRun"/> included; its submit chain runs around every submit. A real
/// SQLite store on fake time; each test counts only its own queue (the meter is process-wide).
/// </summary>
public sealed class EngineTelemetryTests
{
    private sealed class Counts : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _queue;
        public ConcurrentDictionary<string, long> Values { get; } = new();

        public Counts(string queue)
        {
            _queue = queue;
            _listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == ConveyorDiagnostics.MeterName) l.EnableMeasurementEvents(i); };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => { if (Mine(tags)) Values.AddOrUpdate(i.Name, v, (_, n) => n + v); });
            _listener.SetMeasurementEventCallback<double>((i, _, tags, _) => { if (Mine(tags)) Values.AddOrUpdate(i.Name + ".count", 1, (_, n) => n + 1); });
            _listener.Start();
        }

        private bool Mine(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var t in tags) if (t.Key == ConveyorDiagnostics.QueueTag && (string?)t.Value == _queue) return true;
            return false;
        }

        public long this[string name] => Values.GetValueOrDefault(name);

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Lease_expiries_reach_the_failed_retried_and_dead_counters_through_MaintenanceRun()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, time);
        var engine = new TaskEngine(store, time);
        var queue = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        using var counts = new Counts(queue);

        await engine.SubmitMany([
            new TaskSubmission { Type = "t.retry", Queue = queue, MaxAttempts = 2, Backoff = BackoffPolicy.None },
            new TaskSubmission { Type = "t.dead", Queue = queue, MaxAttempts = 1 },
            new TaskSubmission { Type = "t.ok", Queue = queue },
        ]);
        var leased = await engine.Lease(new TaskLeaseParams("w", [queue], 10, TimeSpan.FromSeconds(30), TimeSpan.Zero));
        Assert.Equal(3, leased.Count);
        var ok = Assert.Single(leased, l => l.Task.Type == "t.ok");
        time.Advance(TimeSpan.FromSeconds(2));
        await engine.CompleteMany([new TaskCompleteParams(ok.Task.Id, ok.LeaseToken, null)]);
        time.Advance(TimeSpan.FromSeconds(31));
        var run = await engine.MaintenanceRun(TimeSpan.FromDays(7));
        Assert.Equal(2, run.Reclaimed);

        Assert.Equal(3, counts["conveyor.tasks.submitted"]);
        Assert.Equal(3, counts["conveyor.tasks.started"]);
        Assert.Equal(1, counts["conveyor.tasks.succeeded"]);
        Assert.Equal(2, counts["conveyor.tasks.lease_expired"]);
        Assert.Equal(2, counts["conveyor.tasks.failed"]);
        Assert.Equal(1, counts["conveyor.tasks.retried"]);
        Assert.Equal(1, counts["conveyor.tasks.dead"]);
        Assert.Equal(3, counts["conveyor.task.queue_wait.count"]);
        Assert.Equal(1, counts["conveyor.task.run_time.count"]); // the completed attempt; an expiry has no outcome call

        var again = await engine.Get((await engine.Lease(new TaskLeaseParams("w", [queue], 10, TimeSpan.FromSeconds(30), TimeSpan.Zero))).Single().Task.Id);
        Assert.Equal(CancelOutcome.CancelledWhileRunning, (await engine.Cancel(again!.Id)).Outcome);
        Assert.Equal(1, counts["conveyor.tasks.cancelled"]);
        Assert.Equal(4, counts["conveyor.tasks.started"]);
    }

    private sealed class Tagging(string name) : ISubmitMiddleware
    {
        public ValueTask<IReadOnlyList<EnqueueResult>> InvokeAsync(IReadOnlyList<TaskSubmission> submissions, SubmitDelegate next, CancellationToken ct) =>
            next([.. submissions.Select(s => s with { Metadata = new Dictionary<string, string>(s.Metadata ?? new Dictionary<string, string>()) { [name] = string.Join(",", s.Metadata?.Keys ?? []) } })], ct);
    }

    private sealed class Refusing : ISubmitMiddleware
    {
        public ValueTask<IReadOnlyList<EnqueueResult>> InvokeAsync(IReadOnlyList<TaskSubmission> submissions, SubmitDelegate next, CancellationToken ct) =>
            submissions.Any(s => s.Type == "forbidden") ? throw new ConveyorValidationException("type", "not here") : next(submissions, ct);
    }

    [Fact]
    public async Task Submit_middleware_run_in_order_around_every_submit_and_may_refuse_it()
    {
        await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, TimeProvider.System);
        var engine = new TaskEngine(store, TimeProvider.System) { SubmitMiddleware = [new Refusing(), new Tagging("first"), new Tagging("second")] };
        var task = (await engine.Submit(new TaskSubmission { Type = "fine" })).Task;
        Assert.Equal("", task.Metadata["first"]);
        Assert.Equal("first", task.Metadata["second"]); // the second saw what the first added

        var queue = "refused-" + Guid.NewGuid().ToString("N")[..8];
        await Assert.ThrowsAsync<ConveyorValidationException>(async () => await engine.SubmitMany([new TaskSubmission { Type = "fine", Queue = queue }, new TaskSubmission { Type = "forbidden", Queue = queue }]));
        Assert.Empty((await engine.List(new TaskListParams(Queue: queue))).Items); // nothing stored
    }

    [Fact]
    public async Task A_submit_inside_a_trace_gives_each_task_the_producer_spans_context_and_its_trace_id()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ConveyorDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        await using var store = new SqliteTaskStore(new SqliteStoreOptions { Path = SqliteStoreOptions.InMemory }, TimeProvider.System);
        var engine = new TaskEngine(store, TimeProvider.System);
        using var root = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        var task = (await engine.Submit(new TaskSubmission { Type = "traced" })).Task;
        root.Stop();

        var submit = Assert.Single(spans, s => s.OperationName == "conveyor.task.submit" && s.TraceId == root.TraceId);
        Assert.Equal(ActivityKind.Producer, submit.Kind);
        Assert.Equal(root.SpanId, submit.ParentSpanId);
        Assert.Equal(submit.Id, task.Metadata[ConveyorDiagnostics.TraceParentKey]);
        Assert.Equal(root.TraceId.ToHexString(), task.TraceId);
        var enqueue = Assert.Single(spans, s => s.OperationName == "conveyor.store TaskEnqueueMany" && s.TraceId == root.TraceId);
        Assert.Equal(submit.SpanId, enqueue.ParentSpanId);
    }
}
