using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.EndToEnd.Tests.Faults;
using Conveyor.Model;
using Conveyor.Workflows;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// Real processes: a broker (on a SQLite file, or on a real redis-server) and two workers over HTTP
/// run a chain of three and a chord of 20 (built-in <c>sum</c> steps that take a while). A worker is
/// killed with SIGKILL while it runs a step. Both workflows must still complete with the right results
/// (the chain 113, the chord 210), and the loss checker, fed one submission per step, must find no
/// step lost, none unexpected, and every step that ran twice explained by the killed worker's expired
/// lease. About 20-30 s per store; its own collection (a class), free ports and temp dirs.
/// </summary>
public sealed class WorkflowKillTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task A_chain_and_a_chord_complete_with_the_right_results_while_a_worker_is_killed_mid_step(string storeKind)
    {
        using var redis = storeKind == "redis" ? new RedisServer(Path.Combine(_env.Directory, "redis")) : null;
        redis?.Start();
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", redis?.Url ?? _env.DatabasePath);
        var log1 = Path.Combine(_env.Directory, "executions-w1.log");
        var log2 = Path.Combine(_env.Directory, "executions-w2.log");
        await using var w1 = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(log1), "worker", "--broker", url, "--concurrency", "4", "--lease-duration", "3s");
        await using var w2 = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(log2), "worker", "--broker", url, "--concurrency", "4", "--lease-duration", "3s");
        try
        {
            await server.WaitForOutput("Conveyor is running");
            var (client, http) = TestEnvironment.Client(url);
            using var _ = http;
            await w1.WaitForOutput("worker ");
            await w2.WaitForOutput("worker ");

            var mark = 0;
            WorkflowNode Sum(string args) => WorkflowNode.Step(new TaskSubmission
            {
                Type = "sum",
                Args = JsonDocument.Parse(args).RootElement.Clone(),
                Metadata = new Dictionary<string, string> { ["mark"] = $"step-{mark++}" },
            });
            var chain = await client.WorkflowSubmit(new WorkflowSubmission
            {
                Name = "chain of three",
                Root = WorkflowNode.Chain(Sum("""{"values": [1, 2], "ms": 1500}"""), Sum("""{"values": [10], "ms": 1500}"""), Sum("""{"values": [100], "ms": 1500}""")),
            });
            var chord = await client.WorkflowSubmit(new WorkflowSubmission
            {
                Name = "chord of 20",
                Root = WorkflowNode.Group([.. Enumerable.Range(1, 20).Select(i => Sum($$"""{"values": [{{i}}], "ms": 400}"""))], Sum("{}")),
            });

            // Kill worker 1 while its handler runs a step (leased, and started: in its execution log); frozen
            // first, so the step cannot finish between the look and the kill.
            await FaultSupport.PauseRunning(client, w1, log1);
            w1.Kill9();
            output.WriteLine("killed worker 1 mid-step");

            var ends = new Dictionary<string, WorkflowRecord>();
            foreach (var id in new[] { chain.Workflow.Id, chord.Workflow.Id })
            {
                await CrashRecoveryTests.WaitUntil(async () => (await client.WorkflowGet(id))!.Workflow.IsFinished, TimeSpan.FromSeconds(120), $"workflow {id} finishes",
                    async () => JsonSerializer.Serialize((await client.WorkflowGet(id))!.Progress));
                ends[id] = (await client.WorkflowGet(id))!.Workflow;
            }
            Assert.Equal(WorkflowState.Succeeded, ends[chain.Workflow.Id].State);
            Assert.Equal(113, ends[chain.Workflow.Id].Result!.Value.GetDouble());
            Assert.Equal(WorkflowState.Succeeded, ends[chord.Workflow.Id].State);
            Assert.Equal(210, ends[chord.Workflow.Id].Result!.Value.GetDouble());

            var steps = ends.Values.SelectMany(w => w.Steps).ToList();
            var finals = new Dictionary<string, FinalTask>(StringComparer.Ordinal);
            var submissions = new List<Submission>();
            foreach (var s in steps)
            {
                var task = (await client.Get(s.TaskId))!;
                finals[s.TaskId] = FinalTask.From(task);
                submissions.Add(new Submission(task.Metadata["mark"], SubmitOutcome.Acknowledged, s.TaskId));
            }
            var report = LossChecker.Check(submissions, Histories.ReadExecutions(log1, log2), finals);
            output.WriteLine($"workflows ({storeKind}), a worker killed mid-step: {report}");
            report.AssertSafe();
            Assert.Equal(24, report.Acknowledged);
            Assert.True(report.DuplicatedAfterExpiredLease > 0, $"the killed worker's step must have run again after its lease expired; {report}");
        }
        catch
        {
            output.WriteLine("--- server ---\n" + server.Output);
            output.WriteLine("--- worker 1 ---\n" + w1.Output);
            output.WriteLine("--- worker 2 ---\n" + w2.Output);
            throw;
        }
    }

    public void Dispose() => _env.Dispose();
}
