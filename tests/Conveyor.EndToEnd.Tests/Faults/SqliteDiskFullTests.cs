using System.Globalization;
using Conveyor.Client.Protocol;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// A SQLite store on a disk that fills up (an 8 MB tmpfs), with a real broker process: submissions
/// answer 507 with a stable type (not 500), /readyz answers 503 "disk_full" while full, the log has
/// one warning for the episode (no stack trace per request), and once space frees the broker takes
/// submissions again by itself; nothing acknowledged before, during or after is lost.
/// </summary>
public sealed class SqliteDiskFullTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_full_disk_answers_507_and_readyz_503_logs_once_and_recovers_by_itself_without_loss()
    {
        using var disk = new Tmpfs(Path.Combine(_env.Directory, "disk"), megabytes: 8);
        var (port, url) = FaultSupport.Loopback();
        var executions = FaultSupport.ExecutionLog(_env);
        await using var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", Path.Combine(disk.Path, "conveyor.db"));
        try
        {
            await server.WaitForOutput("Conveyor is running");
            var (client, http) = TestEnvironment.Client(url);
            using var disposeHttp = http;
            var log = new SubmissionLog();
            for (var i = 0; i < 5; i++) Assert.True(await log.SubmitMany(client, FaultSupport.Noops(20, 1024)), log.LastProblem?.Message);

            var (filler, bytes) = disk.Fill();
            output.WriteLine($"filled the tmpfs with {bytes / 1024} KB");
            // The WAL may still have room for a few commits; the first refusal comes within a bounded number.
            var refusedAt = -1;
            for (var i = 0; i < 200 && refusedAt < 0; i++)
                if (!await log.SubmitMany(client, FaultSupport.Noops(20, 4096))) refusedAt = i;
            Assert.True(refusedAt >= 0, "the full disk never refused a submission");
            for (var i = 0; i < 5; i++) await log.SubmitMany(client, FaultSupport.Noops(20, 4096));
            Assert.Equal(507, log.LastProblem!.Status);
            Assert.Equal(ProblemTypes.InsufficientStorage, log.LastProblem.Type);
            output.WriteLine($"refused after {refusedAt} more batches: {log.LastProblem.Message}");

            var body = await FaultSupport.WaitForReadyz(http, ready: false, TimeSpan.FromSeconds(10));
            output.WriteLine($"/readyz while full: {body}");
            Assert.Contains("\"reason\":\"disk_full\"", body, StringComparison.Ordinal);
            await FaultSupport.AssertSaidOnce(server, "refuses writes");
            Assert.DoesNotContain("Unhandled error", server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal); // no stack trace

            File.Delete(filler);
            await FaultSupport.WaitForReadyz(http, ready: true, TimeSpan.FromSeconds(20));
            await server.WaitForOutput("accepts writes again", TimeSpan.FromSeconds(30));
            Assert.True(await log.SubmitMany(client, FaultSupport.Noops(20, 1024)), $"still refused after space was freed: {log.LastProblem?.Message}");

            await using var worker = FaultSupport.StartWorker(_env, executions, "--broker", url, "--concurrency", "8");
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(60));
            var report = await Histories.Check(client, log, executions);
            output.WriteLine($"sqlite disk full: {report}");
            report.AssertSafe();
            Assert.True(report.Refused > 0, report.ToString());
            Assert.Equal(1, FaultSupport.Occurrences(server.Output, "refuses writes"));
        }
        catch
        {
            FaultSupport.Dump(output, ("server", server));
            throw;
        }
        finally
        {
            await server.DisposeAsync(); // the file must be closed before the tmpfs goes
        }
    }

    public void Dispose() => _env.Dispose();
}
