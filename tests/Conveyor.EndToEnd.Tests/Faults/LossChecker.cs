using Conveyor.Model;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// Classifies every task of a run the way Jepsen's queue checkers do, from three records: what the
/// producers were told (<see cref="Submission"/>), what the workers ran (<see cref="Execution"/>) and
/// what the store holds at the end (<see cref="FinalTask"/>):
/// <list type="bullet">
/// <item><b>lost</b>: acknowledged, yet never finished (missing, not succeeded, or never run);</item>
/// <item><b>recovered</b>: the outcome was unknown to the producer, yet the task ran;</item>
/// <item><b>unexpected</b>: ran, yet was never submitted, or its submission was refused;</item>
/// <item><b>duplicated</b>: ran more than once; each is counted as following an expired lease when an
/// attempt before its last one ended <see cref="AttemptOutcome.LeaseExpired"/> and the runs do not
/// outnumber the attempts (more runs than leases would be a fencing breach).</item>
/// </list>
/// Store- and fault-agnostic: the fault tests only differ in how they make the history.
/// </summary>
public static class LossChecker
{
    /// <param name="expectedDead">Acknowledged tasks meant to end in the dead-letter queue (poison tasks): finished when dead and run.</param>
    public static LossReport Check(IEnumerable<Submission> submissions, IEnumerable<Execution> executions, IReadOnlyDictionary<string, FinalTask> finals,
        IReadOnlySet<string>? expectedDead = null)
    {
        var byMark = new Dictionary<string, Submission>(StringComparer.Ordinal);
        foreach (var s in submissions) byMark[s.Mark] = s;
        var acknowledgedIds = new HashSet<string>(byMark.Values.Where(s => s.Outcome == SubmitOutcome.Acknowledged).Select(s => s.TaskId!), StringComparer.Ordinal);
        var runs = executions.GroupBy(e => e.TaskId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        var lost = new List<string>();
        foreach (var s in byMark.Values.Where(s => s.Outcome == SubmitOutcome.Acknowledged))
        {
            var end = expectedDead?.Contains(s.TaskId!) == true ? TaskState.Failed : TaskState.Succeeded;
            var finished = finals.TryGetValue(s.TaskId!, out var f) && f.State == end && runs.ContainsKey(s.TaskId!);
            if (!finished) lost.Add($"lost {s.TaskId} ({(f is null ? "missing" : f.State.ToWire())}, {(runs.ContainsKey(s.TaskId!) ? "ran" : "never ran")})");
        }

        var recovered = 0;
        var unexpected = new List<string>();
        int duplicated = 0, afterExpired = 0;
        var unexplained = new List<string>();
        foreach (var (taskId, taskRuns) in runs)
        {
            var mark = taskRuns[0].Mark;
            var submission = byMark.GetValueOrDefault(mark);
            if (submission is null && !acknowledgedIds.Contains(taskId))
                unexpected.Add($"unexpected {taskId}: ran, never submitted (mark {mark})");
            else if (submission?.Outcome == SubmitOutcome.Refused)
                unexpected.Add($"unexpected {taskId}: ran, yet its submission {mark} was refused");
            else if (submission?.Outcome == SubmitOutcome.Unknown)
                recovered++;

            if (taskRuns.Count < 2) continue;
            duplicated++;
            var attempts = finals.TryGetValue(taskId, out var final) ? final.Attempts : [];
            var expiredBefore = attempts.Count > 1 && attempts.Take(attempts.Count - 1).Any(a => a == AttemptOutcome.LeaseExpired);
            if (expiredBefore && taskRuns.Count <= attempts.Count) afterExpired++;
            else unexplained.Add($"duplicated {taskId}: {taskRuns.Count} runs (attempts {string.Join(",", taskRuns.Select(r => r.Attempt))}) after attempts [{string.Join(", ", attempts)}]");
        }

        var submitted = byMark.Values;
        return new LossReport(
            Submitted: submitted.Count,
            Acknowledged: submitted.Count(s => s.Outcome == SubmitOutcome.Acknowledged),
            Refused: submitted.Count(s => s.Outcome == SubmitOutcome.Refused),
            Unknown: submitted.Count(s => s.Outcome == SubmitOutcome.Unknown),
            Lost: lost.Count,
            Recovered: recovered,
            Unexpected: unexpected.Count,
            Duplicated: duplicated,
            DuplicatedAfterExpiredLease: afterExpired,
            Examples: [.. lost.Take(5), .. unexpected.Take(5), .. unexplained.Take(5)]);
    }
}

/// <summary>The checker's counts; <see cref="ToString"/> is its one-line report.</summary>
public sealed record LossReport(
    int Submitted, int Acknowledged, int Refused, int Unknown,
    int Lost, int Recovered, int Unexpected, int Duplicated, int DuplicatedAfterExpiredLease,
    IReadOnlyList<string> Examples)
{
    /// <summary>Duplicates that no expired lease explains (must be 0).</summary>
    public int DuplicatedWithoutExpiredLease => Duplicated - DuplicatedAfterExpiredLease;

    public override string ToString() =>
        $"loss checker: submitted {Submitted} (acknowledged {Acknowledged}, refused {Refused}, unknown {Unknown}); " +
        $"lost {Lost}, recovered {Recovered}, unexpected {Unexpected}, duplicated {Duplicated} ({DuplicatedAfterExpiredLease} after an expired lease)";

    /// <summary>The delivery contract under faults: nothing acknowledged lost, nothing unexpected, every duplicate after an expired lease.</summary>
    public void AssertSafe()
    {
        Assert.True(Lost == 0 && Unexpected == 0 && DuplicatedWithoutExpiredLease == 0,
            $"{this}\n{string.Join("\n", Examples)}");
    }
}
