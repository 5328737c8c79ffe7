using Conveyor.Model;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>The checker on hand-made histories: each class is detected, and a clean history is clean.</summary>
public sealed class LossCheckerTests
{
    private static readonly AttemptOutcome[] Ok = [AttemptOutcome.Succeeded];

    private static Dictionary<string, FinalTask> Finals(params FinalTask[] tasks) => tasks.ToDictionary(t => t.Id);

    [Fact]
    public void A_clean_history_has_no_loss_no_surprise_and_no_duplicate()
    {
        var report = LossChecker.Check(
            [new("m1", SubmitOutcome.Acknowledged, "t1"), new("m2", SubmitOutcome.Acknowledged, "t2"), new("m3", SubmitOutcome.Refused)],
            [new("t1", 1, "w1", "m1"), new("t2", 1, "w2", "m2")],
            Finals(new FinalTask("t1", TaskState.Succeeded, Ok), new FinalTask("t2", TaskState.Succeeded, Ok)));
        Assert.Equal((3, 2, 1, 0), (report.Submitted, report.Acknowledged, report.Refused, report.Unknown));
        Assert.Equal((0, 0, 0, 0), (report.Lost, report.Recovered, report.Unexpected, report.Duplicated));
        report.AssertSafe();
        Assert.Equal("loss checker: submitted 3 (acknowledged 2, refused 1, unknown 0); lost 0, recovered 0, unexpected 0, duplicated 0 (0 after an expired lease)", report.ToString());
    }

    [Fact]
    public void An_acknowledged_task_that_vanished_never_ran_or_never_succeeded_is_lost()
    {
        var report = LossChecker.Check(
            [new("m1", SubmitOutcome.Acknowledged, "t1"), new("m2", SubmitOutcome.Acknowledged, "t2"), new("m3", SubmitOutcome.Acknowledged, "t3"), new("m4", SubmitOutcome.Acknowledged, "t4")],
            [new("t2", 1, "w1", "m2"), new("t4", 1, "w1", "m4")],
            Finals(new FinalTask("t2", TaskState.Running, [AttemptOutcome.Running]), new FinalTask("t3", TaskState.Pending, []), new FinalTask("t4", TaskState.Succeeded, Ok)));
        Assert.Equal(3, report.Lost); // t1 missing, t2 still running, t3 never ran
        Assert.Contains(report.Examples, e => e.StartsWith("lost t1 (missing", StringComparison.Ordinal));
        Assert.Throws<Xunit.Sdk.TrueException>(report.AssertSafe);
    }

    [Fact]
    public void A_task_whose_submission_timed_out_yet_ran_is_recovered_not_unexpected()
    {
        var report = LossChecker.Check(
            [new("m1", SubmitOutcome.Unknown), new("m2", SubmitOutcome.Unknown)],
            [new("t9", 1, "w1", "m1")],
            Finals(new FinalTask("t9", TaskState.Succeeded, Ok)));
        Assert.Equal((1, 0, 0), (report.Recovered, report.Unexpected, report.Lost));
        report.AssertSafe();
    }

    [Fact]
    public void A_run_of_a_task_never_submitted_or_refused_is_unexpected()
    {
        var report = LossChecker.Check(
            [new("m1", SubmitOutcome.Refused)],
            [new("t1", 1, "w1", "m1"), new("t2", 1, "w1", "stranger"), new("t3", 1, "w1", "-")],
            Finals(new FinalTask("t1", TaskState.Succeeded, Ok), new FinalTask("t2", TaskState.Succeeded, Ok), new FinalTask("t3", TaskState.Succeeded, Ok)));
        Assert.Equal(3, report.Unexpected);
        Assert.Throws<Xunit.Sdk.TrueException>(report.AssertSafe);
    }

    [Fact]
    public void A_task_run_twice_counts_as_duplicated_and_whether_an_expired_lease_came_first()
    {
        var report = LossChecker.Check(
            [new("m1", SubmitOutcome.Acknowledged, "t1"), new("m2", SubmitOutcome.Acknowledged, "t2"), new("m3", SubmitOutcome.Acknowledged, "t3")],
            [
                new("t1", 1, "w1", "m1"), new("t1", 2, "w2", "m1"), // the lease of attempt 1 expired: allowed
                new("t2", 1, "w1", "m2"), new("t2", 1, "w2", "m2"), // the same attempt run twice: a fencing breach
                new("t3", 1, "w1", "m3"), new("t3", 2, "w2", "m3"), // attempt 1 failed, no lease expired: run twice for no reason the contract allows
            ],
            Finals(
                new FinalTask("t1", TaskState.Succeeded, [AttemptOutcome.LeaseExpired, AttemptOutcome.Succeeded]),
                new FinalTask("t2", TaskState.Succeeded, Ok),
                new FinalTask("t3", TaskState.Succeeded, [AttemptOutcome.Succeeded, AttemptOutcome.Succeeded])));
        Assert.Equal((3, 1, 2), (report.Duplicated, report.DuplicatedAfterExpiredLease, report.DuplicatedWithoutExpiredLease));
        Assert.Equal(0, report.Lost);
        Assert.Throws<Xunit.Sdk.TrueException>(report.AssertSafe);
    }
}
