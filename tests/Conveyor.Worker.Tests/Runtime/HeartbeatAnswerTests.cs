using System.Text.Json;
using Conveyor.Model;
using Conveyor.Store;
using Conveyor.Gateway;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Worker.Tests.Runtime;

/// <summary>
/// What the broker says in its answers to the worker's heartbeat: cancel ids that fire running
/// handlers' tokens, quiet (no more leasing) and stop (drain). The worker's clock is fake: a heartbeat
/// happens when the test moves it by one interval; the lease renewer (every third of a 1 h lease)
/// never speaks, so whatever reaches the worker came through the heartbeat.
/// </summary>
public sealed class HeartbeatAnswerTests
{
    private static (WorkerHarness H, FakeTimeProvider Time, RenewalCounting Renewals) Harness()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var h = new WorkerHarness { WorkerTime = time };
        h.Options.LeaseDuration = TaskDefaults.MaxLeaseDuration;
        h.Options.HeartbeatInterval = TimeSpan.FromSeconds(1);
        var renewals = new RenewalCounting(h.Transport);
        h.Transport = renewals;
        return (h, time, renewals);
    }

    /// <summary>Moves the worker's clock one heartbeat at a time until <paramref name="done"/> holds.</summary>
    internal static async Task BeatUntil(FakeTimeProvider time, Func<Task<bool>> done, string what)
    {
        for (var i = 0; i < 1000; i++)
        {
            if (await done()) return;
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
        Assert.Fail($"never happened: {what}");
    }

    private static void AddHold(WorkerHarness h, string type, TaskCompletionSource<bool> started, Task release, TaskCompletionSource<bool>? tokenFired = null) =>
        h.Handlers.Add(type, async (JsonElement _, TaskContext ctx) =>
        {
            ctx.CancellationToken.Register(() => tokenFired?.TrySetResult(true));
            started.TrySetResult(true);
            await release.WaitAsync(ctx.CancellationToken);
            return "done";
        });

    [Fact]
    public async Task A_cancel_reaches_the_running_handler_on_the_next_heartbeat()
    {
        var (h, time, renewals) = Harness();
        await using var _ = h;
        var started = Signals.New<bool>();
        var fired = Signals.New<bool>();
        var release = Signals.New<bool>();
        using var ___ = Releases(release);
        AddHold(h, "hold", started, release.Task, fired);
        var id = await h.SubmitAsync("hold");
        var pool = await h.StartAsync();
        await started.Within("the handler started");

        Assert.Equal(CancelOutcome.CancelledWhileRunning, (await h.Engine.Cancel(id)).Outcome);
        await BeatUntil(time, () => Task.FromResult(fired.Task.IsCompleted), "the handler's token fired");

        Assert.Equal(0, renewals.Extends); // not the renewer: the heartbeat's answer carried the cancel
        await WorkerHarness.Eventually(() => Task.FromResult(pool.RunningTaskIds.Count == 0), "the slot is free again");
        var task = await h.GetAsync(id);
        Assert.Equal(TaskState.Cancelled, task.State);
        Assert.Equal(AttemptOutcome.Cancelled, Assert.Single(task.Attempts).Outcome);
    }

    [Fact]
    public async Task Quiet_stops_leasing_and_lets_running_work_finish()
    {
        var (h, time, _) = Harness();
        await using var __ = h;
        var started = Signals.New<bool>();
        var release = Signals.New<bool>();
        using var ___ = Releases(release);
        var laterRan = Signals.New<bool>();
        AddHold(h, "hold", started, release.Task);
        h.Handlers.Add("later", (JsonElement _, TaskContext _) => { laterRan.TrySetResult(true); return ValueTask.FromResult<object?>(null); });
        var held = await h.SubmitAsync("hold");
        var pool = await h.StartAsync();
        await started.Within("the held task started");

        Assert.Equal(WorkerCommandOutcome.Ok, await h.Engine.WorkerCommand(new(pool.WorkerId, WorkerCommandKind.Quiet)));
        await BeatUntil(time, async () => (await Registry(h)).Live.SingleOrDefault()?.Status == WorkerStatus.Quiet, "the registry shows the worker quiet");
        Assert.Equal(WorkerStatus.Quiet, pool.Status);

        var later = await h.SubmitAsync("later");
        release.TrySetResult(true);
        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(held)).State); // what it held, it finished
        await BeatUntil(time, async () => (await Registry(h)).Live.Single().Running.Count == 0, "the registry shows nothing running");
        await Task.Delay(500);
        Assert.False(laterRan.Task.IsCompleted);
        Assert.Equal(TaskState.Pending, (await h.GetAsync(later)).State); // and it leased nothing more
    }

    [Fact]
    public async Task Quiet_hands_back_what_a_lease_call_in_flight_brings_after_it()
    {
        // An HTTP lease call may still answer after the worker stopped leasing (HttpWorkerGateway's
        // LeaseStopGrace). Here the transport ignores the lease loop's token altogether: the lease
        // waiting in the store when quiet arrives brings the next task anyway. A quiet worker takes no
        // new work, so that task goes back to the queue, its attempt not charged, and never runs.
        var (h, time, _) = Harness();
        await using var __ = h;
        h.Options.LeaseWait = TimeSpan.FromSeconds(30);
        var ran = Signals.New<bool>();
        h.Handlers.Add("later", (JsonElement _, TaskContext _) => { ran.TrySetResult(true); return ValueTask.FromResult<object?>(null); });
        var inFlight = new DeafLease(h.Transport);
        h.Transport = inFlight;
        var pool = await h.StartAsync();
        await WorkerHarness.Eventually(() => Task.FromResult(inFlight.Waiting > 0), "a lease is waiting in the store");

        Assert.Equal(WorkerCommandOutcome.Ok, await h.Engine.WorkerCommand(new(pool.WorkerId, WorkerCommandKind.Quiet)));
        await BeatUntil(time, () => Task.FromResult(pool.Status == WorkerStatus.Quiet), "the worker is quiet");
        var later = await h.SubmitAsync("later");
        await WorkerHarness.Eventually(() => Task.FromResult(inFlight.Answered > 0), "the lease in flight answered");
        await WorkerHarness.Eventually(async () => (await h.GetAsync(later)) is { State: TaskState.Pending, Attempt: 0 }, "the task is back in the queue, uncharged");
        Assert.False(ran.Task.IsCompleted);
    }

    /// <summary>A transport whose lease call does not stop when the lease loop's token fires.</summary>
    private sealed class DeafLease(IWorkerGateway inner) : PassThroughTransport(inner)
    {
        public int Waiting, Answered;
        public override async ValueTask<IReadOnlyList<LeasedTask>> Lease(TaskLeaseParams request, CancellationToken ct = default)
        {
            Interlocked.Increment(ref Waiting);
            var leased = await base.Lease(request, CancellationToken.None);
            if (leased.Count > 0) Interlocked.Increment(ref Answered);
            return leased;
        }
    }

    [Fact]
    public async Task Stop_drains_the_pool_which_leaves_the_registry()
    {
        var (h, time, _) = Harness();
        await using var __ = h;
        var started = Signals.New<bool>();
        var release = Signals.New<bool>();
        using var ___ = Releases(release);
        AddHold(h, "hold", started, release.Task);
        var held = await h.SubmitAsync("hold");
        var pool = await h.StartAsync();
        await started.Within("the held task started");

        Assert.Equal(WorkerCommandOutcome.Ok, await h.Engine.WorkerCommand(new(pool.WorkerId, WorkerCommandKind.Stop)));
        await BeatUntil(time, () => Task.FromResult(pool.Status == WorkerStatus.Draining), "the pool is draining");
        Assert.False(pool.Completion.IsCompleted); // the drain waits for the running handler
        release.TrySetResult(true);
        await pool.Completion.WaitAsync(WorkerHarness.Patience);

        Assert.Equal(TaskState.Succeeded, (await h.WaitTerminalAsync(held)).State);
        Assert.Empty((await Registry(h)).Live);
    }

    [Fact]
    public async Task The_heartbeat_announces_handler_types_and_running_tasks()
    {
        var (h, time, _) = Harness();
        await using var __ = h;
        var started = Signals.New<bool>();
        var release = Signals.New<bool>();
        using var ___ = Releases(release);
        AddHold(h, "hold", started, release.Task);
        h.Handlers.Add("email.send", (JsonElement _, TaskContext _) => ValueTask.FromResult<object?>(null));
        var held = await h.SubmitAsync("hold");
        await h.StartAsync();
        await started.Within("the held task started");

        await BeatUntil(time, async () => (await Registry(h)).Live.Single().Running.Count == 1, "the running task is announced");
        var w = (await Registry(h)).Live.Single();
        Assert.Equal(["email.send", "hold"], w.Types);
        var r = Assert.Single(w.Running);
        var task = await h.GetAsync(held);
        Assert.Equal((held, "hold", "default", task.StartedAt), (r.TaskId, r.Type, r.Queue, (DateTimeOffset?)r.StartedAt));
        Assert.Equal([held], w.RunningTaskIds);
        Assert.Equal(WorkerStatus.Running, w.Status);

        var types = await h.Engine.TaskTypes(TimeSpan.FromHours(1));
        Assert.Equal([("email.send", 1), ("hold", 1)], types.Select(t => (t.Name, t.Workers)));
        release.TrySetResult(true);
        await h.WaitTerminalAsync(held);
        await BeatUntil(time, async () => (await Registry(h)).Live.Single().Running.Count == 0, "the finished task is no longer announced");
    }

    /// <summary>
    /// Lets a held handler go when the test ends, passed or failed, before the pool is disposed: the
    /// drain's deadline runs on the fake clock, so a handler still held would keep the drain waiting.
    /// </summary>
    internal static IDisposable Releases(TaskCompletionSource<bool> release) => new Release(release);

    private sealed class Release(TaskCompletionSource<bool> release) : IDisposable
    {
        public void Dispose() => release.TrySetResult(true);
    }

    private static async Task<WorkerListResult> Registry(WorkerHarness h) => await h.Engine.WorkerList(TimeSpan.FromHours(1));

    /// <summary>The real transport, counting lease renewals (ExtendMany calls that carried items).</summary>
    internal sealed class RenewalCounting(IWorkerGateway inner) : PassThroughTransport(inner)
    {
        public int Extends;
        public override ValueTask<IReadOnlyList<LeaseExtendResult>> ExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default)
        {
            if (items.Count > 0) Interlocked.Increment(ref Extends);
            return base.ExtendMany(items, ct);
        }
    }
}

/// <summary>The real transport, every call passed on; tests override the calls they observe or bend.</summary>
internal abstract class PassThroughTransport(IWorkerGateway inner) : IWorkerGateway
{
    public virtual ValueTask<IReadOnlyList<LeasedTask>> Lease(TaskLeaseParams request, CancellationToken ct = default) => inner.Lease(request, ct);
    public virtual ValueTask<IReadOnlyList<AckResult>> CompleteMany(IReadOnlyList<TaskCompleteParams> items, CancellationToken ct = default) => inner.CompleteMany(items, ct);
    public virtual ValueTask<IReadOnlyList<AckResult>> FailMany(IReadOnlyList<TaskFailParams> items, CancellationToken ct = default) => inner.FailMany(items, ct);
    public virtual ValueTask<IReadOnlyList<LeaseExtendResult>> ExtendMany(IReadOnlyList<LeaseExtendParams> items, CancellationToken ct = default) => inner.ExtendMany(items, ct);
    public virtual ValueTask<IReadOnlyList<AckResult>> ReleaseMany(IReadOnlyList<TaskReleaseParams> items, CancellationToken ct = default) => inner.ReleaseMany(items, ct);
    public virtual ValueTask<WorkerHeartbeatResult> WorkerHeartbeat(WorkerInfo worker, CancellationToken ct = default) => inner.WorkerHeartbeat(worker, ct);
    public virtual ValueTask WorkerRemove(string workerId, CancellationToken ct = default) => inner.WorkerRemove(workerId, ct);
}
