using Conveyor.Model;
using Conveyor.Store;
using Conveyor.Worker.Runtime;

namespace Conveyor.Worker.Tests.Runtime;

public sealed class OutcomeRulesTests
{
    private static readonly LeasedTask Task1 = new(new TaskRecord
    {
        Id = "t1", Type = "t", Queue = "default", Args = default, State = TaskState.Running, Timeout = TimeSpan.FromSeconds(2),
        CreatedAt = DateTimeOffset.UnixEpoch, ScheduledFor = DateTimeOffset.UnixEpoch,
    }, "tok", DateTimeOffset.UnixEpoch);

    private static AckDecision Decide(object? result, Exception? error, CancelReason reason, int maxBytes = 1000) =>
        OutcomeRules.Decide(Task1, result, error, reason, TimeSpan.FromSeconds(2.5), maxBytes);

    [Fact]
    public void A_returned_value_completes_with_its_json()
    {
        var o = Decide(new { answer = 42 }, null, CancelReason.None);
        var c = Assert.IsType<TaskCompleteParams>(o.Ack);
        Assert.Equal(("t1", "tok"), (c.TaskId, c.LeaseToken));
        Assert.Equal(42, c.Result?.GetProperty("answer").GetInt32());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void After_a_cancel_or_a_lost_lease_nothing_is_sent_whatever_the_handler_did(bool cancelled)
    {
        var reason = cancelled ? CancelReason.CancelRequested : CancelReason.LeaseLost;
        Assert.Equal(OutcomeKind.Dropped, Decide("done", null, reason).Kind);
        Assert.Null(Decide(null, new OperationCanceledException(), reason).Ack);
    }

    [Fact]
    public void A_handler_stopped_by_the_drain_deadline_is_released_but_one_that_finished_is_completed()
    {
        Assert.IsType<TaskReleaseParams>(Decide(null, new OperationCanceledException(), CancelReason.Shutdown).Ack);
        Assert.IsType<TaskCompleteParams>(Decide("done", null, CancelReason.Shutdown).Ack);
    }

    [Fact]
    public void A_timed_out_attempt_fails_with_timeout_and_is_retried()
    {
        var f = Assert.IsType<TaskFailParams>(Decide(null, new TaskCanceledException(), CancelReason.Timeout).Ack);
        Assert.Equal("timeout", f.Error.Type);
        Assert.Equal("the attempt ran past its timeout of 2 s (ran 2.5 s)", f.Error.Message);
        Assert.True(f.Retry);
    }

    [Fact]
    public void Failures_map_to_permanent_retry_after_and_ordinary()
    {
        var permanent = Assert.IsType<TaskFailParams>(Decide(null, new PermanentTaskFailure("no"), CancelReason.None).Ack);
        Assert.False(permanent.Retry);
        Assert.Equal(PermanentTaskFailure.DefaultErrorType, permanent.Error.Type);

        var later = Assert.IsType<TaskFailParams>(Decide(null, new RetryTaskAfter(TimeSpan.FromMinutes(3), "busy"), CancelReason.None).Ack);
        Assert.True(later.Retry);
        Assert.Equal(TimeSpan.FromMinutes(3), later.RetryDelay);

        var ordinary = Assert.IsType<TaskFailParams>(Decide(null, new FormatException("bad"), CancelReason.None).Ack);
        Assert.True(ordinary.Retry);
        Assert.Null(ordinary.RetryDelay);
        Assert.Equal(("FormatException", "bad"), (ordinary.Error.Type, ordinary.Error.Message));
    }

    [Fact]
    public void A_result_that_is_too_large_or_not_json_fails_permanently_instead_of_poisoning_the_ack_batch()
    {
        var big = Assert.IsType<TaskFailParams>(Decide(new string('x', 2000), null, CancelReason.None, maxBytes: 1000).Ack);
        Assert.Equal("invalid_result", big.Error.Type);
        Assert.Contains("the limit is 1000", big.Error.Message);
        Assert.False(big.Retry);

        var notJson = Assert.IsType<TaskFailParams>(Decide(new Func<int>(() => 1), null, CancelReason.None).Ack);
        Assert.Equal("invalid_result", notJson.Error.Type);
    }
}
