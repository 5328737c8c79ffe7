using System.Globalization;
using Conveyor.Client;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>Reads the workers' execution logs (<c>CONVEYOR_EXECUTION_LOG</c>) and the store's final records.</summary>
public static class Histories
{
    /// <summary>The environment that makes a <c>conveyor worker</c>/<c>up</c> process log every execution to <paramref name="path"/>.</summary>
    public static Dictionary<string, string> ExecutionLogEnv(string path) => new() { ["CONVEYOR_EXECUTION_LOG"] = path };

    /// <summary>Every line of the given logs (a missing file: a worker that never ran a task).</summary>
    public static List<Execution> ReadExecutions(params string[] paths)
    {
        var all = new List<Execution>();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) continue;
            foreach (var line in File.ReadAllLines(path))
            {
                var f = line.Split('\t');
                if (f.Length != 4) continue; // a line cut by kill -9 mid-write (one write(2) per line makes this rare)
                all.Add(new Execution(f[0], int.Parse(f[1], CultureInfo.InvariantCulture), f[2], f[3]));
            }
        }
        return all;
    }

    /// <summary>The store's final record of every task that was acknowledged or ran.</summary>
    public static async Task<Dictionary<string, FinalTask>> ReadFinals(ConveyorClient client, SubmissionLog submissions, IEnumerable<Execution> executions)
    {
        var ids = submissions.AcknowledgedIds.Concat(executions.Select(e => e.TaskId)).Distinct(StringComparer.Ordinal).ToList();
        var finals = new Dictionary<string, FinalTask>(StringComparer.Ordinal);
        foreach (var id in ids)
            if (await client.Get(id).ConfigureAwait(false) is { } t) finals[id] = FinalTask.From(t);
        return finals;
    }

    /// <summary>Executions, finals and the checker's report in one call.</summary>
    public static Task<LossReport> Check(ConveyorClient client, SubmissionLog submissions, params string[] executionLogs) =>
        CheckExpectingDead(client, submissions, null, executionLogs);

    /// <summary>As <see cref="Check"/>, with poison tasks that must end dead (in the dead-letter queue) rather than succeeded.</summary>
    public static async Task<LossReport> CheckExpectingDead(ConveyorClient client, SubmissionLog submissions, IReadOnlySet<string>? expectedDead, params string[] executionLogs)
    {
        var executions = ReadExecutions(executionLogs);
        var finals = await ReadFinals(client, submissions, executions).ConfigureAwait(false);
        return LossChecker.Check(submissions.All, executions, finals, expectedDead);
    }
}
