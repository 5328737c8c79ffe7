using Conveyor.Model;
using Conveyor.Store;
using Conveyor.Worker.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Worker.Tests.Runtime;

/// <summary>
/// A worker judges its leases on its own monotonic clock and the lease duration, never on the deadline
/// the store answered (another machine's wall clock: issue 12, clock skew).
/// </summary>
public sealed class LeaseClockTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(4);
    private readonly FakeTimeProvider _time = new();

    // The answered deadline is decades before this machine's clock: a worker that compared it with its
    // own wall clock would take the lease for lost at once.
    private static LeasedTask Leased(string id) => new(new TaskRecord
    {
        Id = id, Type = "t", Queue = "default", Args = default, State = TaskState.Running,
        Timeout = TimeSpan.FromMinutes(1), CreatedAt = DateTimeOffset.UnixEpoch, ScheduledFor = DateTimeOffset.UnixEpoch,
    }, "token-" + id, DateTimeOffset.UnixEpoch.AddSeconds(4));

    [Fact]
    public void A_lease_runs_out_a_duration_after_it_was_asked_for_whatever_deadline_was_answered()
    {
        var slot = new ExecutionSlot(_time);
        var asked = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(1)); // the answer, then the wait for a slot
        slot.Begin(Leased("a"), Lease, asked);
        Assert.Null(slot.Expired());
        _time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Null(slot.Expired());
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal("a", slot.Expired());
    }

    [Fact]
    public void A_granted_renewal_runs_from_when_it_was_sent()
    {
        var slot = new ExecutionSlot(_time);
        slot.Begin(Leased("a"), Lease, _time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(3));
        var sent = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(0.5)); // the round trip
        slot.LeaseExtended("a", sent, Lease);
        _time.Advance(TimeSpan.FromSeconds(3.4));
        Assert.Null(slot.Expired());
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal("a", slot.Expired());
        // A renewal for another task touches nothing.
        slot.LeaseExtended("b", _time.GetTimestamp(), Lease);
        Assert.Equal("a", slot.Expired());
    }

    [Fact]
    public void A_task_that_starts_with_a_third_of_its_lease_used_asks_for_a_renewal_now()
    {
        var slot = new ExecutionSlot(_time);
        var asked = _time.GetTimestamp();
        slot.Begin(Leased("a"), Lease, asked);
        Assert.False(slot.LeaseShorterThan(Lease - Lease / 3));
        _time.Advance(Lease / 3 + TimeSpan.FromMilliseconds(1));
        Assert.True(slot.LeaseShorterThan(Lease - Lease / 3));
        slot.End(nearTimeout: false);
        Assert.False(slot.LeaseShorterThan(Lease - Lease / 3));
    }

    [Theory]
    [InlineData(4, 2)]   // 1.33 s interval: renewed on the 2nd tick of 0.67 s, not on the 2nd of 1 s (2 s)
    [InlineData(30, 10)] // 10 s interval: ten ticks of 1 s
    [InlineData(1.5, 1)] // 0.5 s interval: one tick
    public void The_renewal_interval_is_a_whole_number_of_ticks_of_at_most_a_second(double leaseSeconds, int ticks)
    {
        var interval = TimeSpan.FromSeconds(leaseSeconds) / 3;
        var tick = LeaseRenewer.TickFor(interval);
        Assert.True(tick <= TimeSpan.FromSeconds(1));
        Assert.Equal(interval.Ticks, tick.Ticks * ticks, tolerance: ticks);
    }
}
