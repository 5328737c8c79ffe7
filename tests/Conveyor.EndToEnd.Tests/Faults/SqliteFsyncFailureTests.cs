using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests.Faults;

/// <summary>
/// A failed fsync under a SQLite store: <c>strace -f -p PID -P db-wal -e inject=fsync,fdatasync:error=EIO</c>
/// attached to a running <c>conveyor server</c>. The store fails closed: the batch whose sync failed gets
/// a 500 (outcome unknown), every later write a 503, even after strace detaches and fsync works again;
/// one error line says so; <c>/readyz</c> answers 503. After a restart, everything it acknowledged is there.
/// </summary>
public sealed class SqliteFsyncFailureTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_failed_fsync_fails_the_store_closed_it_acknowledges_nothing_after_and_a_restart_has_everything_it_acknowledged()
    {
        var strace = new[] { "/usr/bin/strace", "/bin/strace" }.FirstOrDefault(File.Exists);
        Assert.True(strace is not null, "strace is required (./test.sh installs it: apt-get install strace)");
        var (port, url) = FaultSupport.Loopback();
        var db = _env.DatabasePath;
        var executions = FaultSupport.ExecutionLog(_env);
        var log = new SubmissionLog();
        var server = ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", db);
        Process? tracer = null;
        try
        {
            await server.WaitForOutput("Conveyor is running");
            var (client, http) = TestEnvironment.Client(url);
            using var disposeHttp = http;
            for (var i = 0; i < 5; i++) Assert.True(await log.SubmitMany(client, FaultSupport.Noops(20)), log.LastProblem?.Message);

            var psi = new ProcessStartInfo(strace!) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in (string[])["-f", "-qq", "-p", server.Pid.ToString(CultureInfo.InvariantCulture), "-P", db + "-wal", "-P", db,
                         "-e", "trace=fsync,fdatasync", "-e", "inject=fsync,fdatasync:error=EIO:when=1+", "-o", Path.Combine(_env.Directory, "strace.txt")])
                psi.ArgumentList.Add(a);
            tracer = Process.Start(psi)!;
            await Task.Delay(2000); // attached to every thread

            var statuses = new List<int>();
            for (var i = 0; i < 5; i++)
            {
                Assert.False(await log.SubmitMany(client, FaultSupport.Noops(20)), "a write was acknowledged although its fsync failed");
                statuses.Add(log.LastProblem!.Status);
            }
            output.WriteLine($"answers while fsync fails: {string.Join(", ", statuses)}; {log.LastProblem!.Message}");
            Assert.Equal(500, statuses[0]);
            Assert.All(statuses.Skip(1), s => Assert.Equal(503, s));

            tracer.Kill(); // detach: fsync works again, the store stays failed closed
            await tracer.WaitForExitAsync();
            Assert.False(await log.SubmitMany(client, FaultSupport.Noops(20)), "the store acknowledged a write after a failed fsync without a restart");
            Assert.Equal(503, log.LastProblem!.Status);
            var body = await FaultSupport.WaitForReadyz(http, ready: false, TimeSpan.FromSeconds(10));
            output.WriteLine($"/readyz: {body}");
            await FaultSupport.AssertSaidOnce(server, "failed closed");
            Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);

            await server.DisposeAsync(); // kill -9
            server = ConveyorProcess.Start(_env.Directory, "server", "--port", port, "--store", db);
            await server.WaitForOutput("Conveyor is running");
            Assert.True(await log.SubmitMany(client, FaultSupport.Noops(20)), $"refused after the restart: {log.LastProblem?.Message}");
            await using var worker = FaultSupport.StartWorker(_env, executions, "--broker", url, "--concurrency", "8");
            await FaultSupport.WaitAllDone(client, TimeSpan.FromSeconds(60));
            var report = await Histories.Check(client, log, executions);
            output.WriteLine($"sqlite failed fsync (EIO injected by strace), restart: {report}");
            report.AssertSafe();
        }
        catch
        {
            FaultSupport.Dump(output, ("server", server));
            throw;
        }
        finally
        {
            if (tracer is { HasExited: false }) tracer.Kill();
            tracer?.Dispose();
            await server.DisposeAsync();
        }
    }

    public void Dispose() => _env.Dispose();
}
