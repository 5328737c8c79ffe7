using System.Text.Json;
using Conveyor.EndToEnd.Tests.Faults;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// Real processes: a broker on a SQLite file and two workers over HTTP. A worker is killed with
/// SIGKILL while it holds tasks, then the broker itself, which is restarted on the same file. The loss
/// checker reads the submissions, the workers' execution logs and the final records: nothing
/// acknowledged lost, nothing unexpected, every duplicate after an expired lease; and the workers
/// carry on by themselves.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task Killed_worker_and_killed_server_lose_no_acknowledged_task()
    {
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port}";
        string[] serverArgs = ["server", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", _env.DatabasePath];
        var server = ConveyorProcess.Start(_env.Directory, serverArgs);
        var log1 = Path.Combine(_env.Directory, "executions-w1.log");
        var log2 = Path.Combine(_env.Directory, "executions-w2.log");
        await using var w1 = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(log1), "worker", "--broker", url, "--concurrency", "8", "--lease-duration", "3s");
        await using var w2 = ConveyorProcess.Start(_env.Directory, Histories.ExecutionLogEnv(log2), "worker", "--broker", url, "--concurrency", "8", "--lease-duration", "3s");
        try
        {
            await server.WaitForOutput("Conveyor is running");
            var (client, http) = TestEnvironment.Client(url);
            using var _ = http;
            await w1.WaitForOutput("worker ");
            await w2.WaitForOutput("worker ");

            var submissions = new SubmissionLog();
            var args = JsonDocument.Parse("{\"ms\":200}").RootElement;
            // 500 tasks in batches of 50: each batch acknowledged is durable.
            for (var i = 0; i < 10; i++)
                Assert.True(await submissions.SubmitMany(client, [.. Enumerable.Range(0, 50).Select(_ => new TaskSubmission { Type = "sleep", Args = args })]), submissions.LastProblem?.Message);
            Assert.Equal(500, submissions.Count(SubmitOutcome.Acknowledged));

            // Kill worker 1 while it runs tasks (frozen first, so none finishes between the look and the kill).
            var held = await FaultSupport.PauseRunning(client, w1, log1);
            w1.Kill9();
            output.WriteLine($"killed worker 1 running {held.Count} tasks");

            // Keep submitting while the server is killed and restarted: the loss checker sorts the answers
            // into acknowledged, refused (connection refused) and unknown (dropped mid-request).
            using var stopSubmitting = new CancellationTokenSource();
            var submitter = Task.Run(async () =>
            {
                while (!stopSubmitting.IsCancellationRequested)
                {
                    var ok = await submissions.SubmitMany(client, [new TaskSubmission { Type = "sleep", Args = args }]);
                    await Task.Delay(ok ? 25 : 100); // a steady trickle, not a flood: the point is submissions across the restart
                }
            });

            await WaitUntil(async () => (await CountSucceeded(client)) >= 150, TimeSpan.FromSeconds(60), "150 tasks succeeded before the server kill");
            server.Kill9();
            output.WriteLine("killed the server");
            await Task.Delay(1000);
            await server.DisposeAsync();
            server = ConveyorProcess.Start(_env.Directory, serverArgs);
            await server.WaitForOutput("Conveyor is running");
            output.WriteLine("restarted the server");
            await Task.Delay(1500);
            await stopSubmitting.CancelAsync();
            await submitter;

            // Every task ends; the surviving worker does it without help.
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(120));
            var report = await Histories.Check(client, submissions, log1, log2);
            output.WriteLine($"kill -9 of a worker and of the SQLite broker: {report}");
            report.AssertSafe();
            Assert.True(report.DuplicatedAfterExpiredLease > 0, $"the killed worker was running tasks: they must have run again after their leases expired; {report}");
            Assert.False(w2.HasExited, "the surviving worker kept running through the server restart");
        }
        catch
        {
            output.WriteLine("--- server ---\n" + server.Output);
            output.WriteLine("--- worker 1 ---\n" + w1.Output);
            output.WriteLine("--- worker 2 ---\n" + w2.Output);
            throw;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<long> CountSucceeded(ConveyorClient client) =>
        (await client.Queues()).Where(q => q.Name == "default").Sum(q => q.Succeeded);

    internal static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"timed out waiting until {what}{(describe is null ? "" : ": " + await describe())}");
    }

    public void Dispose() => _env.Dispose();
}
