using Conveyor.Model;
using Conveyor.Store;
using Conveyor.Worker.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class ExecutionSlotTests
{
    private readonly FakeTimeProvider _time = new();

    private static LeasedTask Leased(string id, TimeSpan? timeout = null) => new(new TaskRecord
    {
        Id = id, Type = "t", Queue = "default", Args = default, State = TaskState.Running,
        Timeout = timeout ?? TimeSpan.FromMinutes(1),
        CreatedAt = DateTimeOffset.UnixEpoch, ScheduledFor = DateTimeOffset.UnixEpoch,
    }, "token-" + id, DateTimeOffset.UnixEpoch.AddMinutes(1));

    [Fact]
    public void The_timeout_fires_the_token_on_the_injected_clock_and_is_reported_as_the_reason()
    {
        var slot = new ExecutionSlot(_time);
        var token = slot.Begin(Leased("a", TimeSpan.FromSeconds(10)));
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(token.IsCancellationRequested);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(token.IsCancellationRequested);
        // A cancel arriving after the timeout does not change the reason.
        Assert.True(slot.TryCancel("a", CancelReason.CancelRequested));
        Assert.Equal(CancelReason.Timeout, slot.End(nearTimeout: true).Reason);
    }

    [Fact]
    public void A_cancel_for_a_task_the_slot_no_longer_runs_touches_nothing()
    {
        var slot = new ExecutionSlot(_time);
        slot.Begin(Leased("a"));
        slot.End(nearTimeout: false);
        var token = slot.Begin(Leased("b"));

        Assert.False(slot.TryCancel("a", CancelReason.CancelRequested));
        Assert.False(token.IsCancellationRequested);
        Assert.Equal(CancelReason.None, slot.End(nearTimeout: false).Reason);
    }

    [Fact]
    public void The_first_reason_wins_and_the_next_task_gets_a_fresh_token()
    {
        var slot = new ExecutionSlot(_time);
        var first = slot.Begin(Leased("a"));
        Assert.True(slot.TryCancel("a", CancelReason.LeaseLost));
        Assert.False(slot.TryCancel("a", CancelReason.Shutdown));
        Assert.True(first.IsCancellationRequested);
        Assert.Equal(CancelReason.LeaseLost, slot.End(nearTimeout: false).Reason);

        var second = slot.Begin(Leased("b"));
        Assert.False(second.IsCancellationRequested);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(second.IsCancellationRequested); // the old attempt's timer does not leak into this one
    }

    [Fact]
    public void Renewal_carries_the_latest_progress_and_stops_once_abandoned()
    {
        var reported = 0;
        var slot = new ExecutionSlot(_time, () => reported++);
        Assert.Null(slot.RenewalFor(TimeSpan.FromSeconds(30)));
        slot.Begin(Leased("a"));
        slot.SetProgress("a", new TaskProgress(10, "x"));
        slot.SetProgress("a", new TaskProgress(20, "y"));
        slot.SetProgress("other", new TaskProgress(99)); // not ours: ignored

        var renewal = slot.RenewalFor(TimeSpan.FromSeconds(30));
        Assert.Equal(new LeaseExtendParams("a", "token-a", TimeSpan.FromSeconds(30), new TaskProgress(20, "y")), renewal);
        Assert.Equal(2, reported);

        Assert.Equal("a", slot.Abandon()?.Task.Id);
        Assert.Null(slot.RenewalFor(TimeSpan.FromSeconds(30)));
        Assert.True(slot.End(nearTimeout: false).Abandoned);
    }

    [Fact]
    public void Unsent_progress_is_taken_once_and_a_renewal_counts_as_sending_it()
    {
        var slot = new ExecutionSlot(_time);
        slot.Begin(Leased("a"));
        Assert.Null(slot.TakeUnsentProgress(TimeSpan.FromSeconds(30)));
        slot.SetProgress("a", new TaskProgress(10, "one"));
        slot.SetProgress("a", new TaskProgress(90, "two"));
        var item = Assert.IsType<LeaseExtendParams>(slot.TakeUnsentProgress(TimeSpan.FromSeconds(30)));
        Assert.Equal(("a", "token-a", new TaskProgress(90, "two")), (item.TaskId, item.LeaseToken, item.Progress));
        Assert.Null(slot.TakeUnsentProgress(TimeSpan.FromSeconds(30)));

        slot.SetProgress("a", new TaskProgress(95));
        Assert.NotNull(slot.RenewalFor(TimeSpan.FromSeconds(30)));
        Assert.Null(slot.TakeUnsentProgress(TimeSpan.FromSeconds(30)));

        // The next task starts with nothing unsent.
        slot.SetProgress("a", new TaskProgress(99));
        slot.End(nearTimeout: false);
        slot.Begin(Leased("b"));
        Assert.Null(slot.TakeUnsentProgress(TimeSpan.FromSeconds(30)));
    }
}
