using System.Globalization;
using System.Text.Json;
using Conveyor.Client;
using Conveyor.Model;
using Conveyor.Store;
using Xunit.Abstractions;

namespace Conveyor.EndToEnd.Tests;

/// <summary>
/// Real processes: <c>conveyor up</c> (whose own workers leave the test's queue alone) and a remote
/// <c>conveyor worker --broker</c>. A running <c>sleep</c> is cancelled and its handler stops through
/// the heartbeat's answer (the worker's lease is 5 minutes, so the renewer would not speak for 100 s);
/// then the worker is quieted (it leases nothing more) and stopped (it drains and exits 0), both with
/// <c>conveyor workers quiet|stop ID</c>.
/// </summary>
public sealed class RemoteWorkerCommandTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TestEnvironment _env = new();

    [Fact]
    public async Task A_remote_worker_is_reached_by_cancel_quiet_and_stop_through_its_heartbeat()
    {
        var port = TestEnvironment.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var up = ConveyorProcess.Start(_env.Directory, "up", "--port", port.ToString(CultureInfo.InvariantCulture), "--store", _env.DatabasePath, "--queues", "local");
        await using var worker = ConveyorProcess.Start(_env.Directory, "worker", "--broker", url, "--queues", "remote", "--concurrency", "2", "--lease-duration", "300s");
        try
        {
            await up.WaitForOutput("Conveyor is running");
            await worker.WaitForOutput("worker ");
            var (client, http) = TestEnvironment.Client(url);
            using var _ = http;
            var remote = await Eventually(async () => (await client.WorkerList()).Workers.SingleOrDefault(w => w.Queues.Contains("remote")), "the remote worker is registered");
            Assert.Contains("sleep", remote.Types);

            // Cancel a running sleep of two minutes: its handler stops on the worker's next heartbeat.
            var sleeping = (await client.Submit(new TaskSubmission { Type = "sleep", Queue = "remote", Args = Json("""{"ms":120000}""") })).Task.Id;
            await Eventually(async () => (await Remote(client, remote.Id))?.Running.Any(r => r.TaskId == sleeping) == true ? true : (bool?)null, "the worker announces the sleep as running");
            Assert.Equal(CancelOutcome.CancelledWhileRunning, (await client.Cancel(sleeping)).Outcome);
            await Eventually(async () => (await Remote(client, remote.Id))?.Running.Count == 0 ? true : (bool?)null, "the cancelled handler has let go of its slot");
            var cancelled = await client.Get(sleeping);
            Assert.Equal(TaskState.Cancelled, cancelled?.State);
            Assert.Equal(AttemptOutcome.Cancelled, cancelled?.Attempts[^1].Outcome);
            await worker.WaitForOutput($"task {sleeping}: cancel requested");

            // `conveyor workers` shows it with its types; an unknown worker is refused (exit 3: not found).
            var (listCode, listed) = await ConveyorProcess.Run(_env.Directory, "workers", "--broker", url);
            Assert.Equal(0, listCode);
            Assert.Contains(remote.Id, listed);
            Assert.Contains("email.send", listed);
            var (unknownCode, _) = await ConveyorProcess.Run(_env.Directory, "workers", "stop", "nobody", "--broker", url);
            Assert.Equal(3, unknownCode);

            // Quiet (told through the CLI): it says so in its heartbeat and leases nothing more.
            var (quietCode, quietSaid) = await ConveyorProcess.Run(_env.Directory, "workers", "quiet", remote.Id, "--broker", url);
            Assert.True(quietCode == 0, quietSaid);
            var quiet = await Eventually(async () => await Remote(client, remote.Id) is { Status: WorkerStatus.Quiet } w ? w : null, "the worker reports quiet");
            var waiting = (await client.Submit(new TaskSubmission { Type = "sleep", Queue = "remote", Args = Json("""{"ms":1}""") })).Task.Id;
            await Eventually(async () => await Remote(client, remote.Id) is { } w && w.LastHeartbeat > quiet.LastHeartbeat.AddSeconds(2) ? w : null, "two more heartbeats");
            Assert.Equal(TaskState.Pending, (await client.Get(waiting))?.State);

            // Stop (the CLI again): it drains, leaves the registry and its process exits 0.
            var (stopCode, stopSaid) = await ConveyorProcess.Run(_env.Directory, "workers", "stop", remote.Id, "--broker", url);
            Assert.True(stopCode == 0, stopSaid);
            Assert.Equal(0, await worker.WaitForExit(Patience));
            Assert.Null(await Remote(client, remote.Id));
            Assert.Equal(TaskState.Pending, (await client.Get(waiting))?.State);
        }
        finally
        {
            output.WriteLine("--- up ---\n" + up.Output + "\n--- worker ---\n" + worker.Output);
        }
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static async Task<WorkerInfo?> Remote(ConveyorClient client, string id) => (await client.WorkerList()).Workers.SingleOrDefault(w => w.Id == id);

    private static async Task<T> Eventually<T>(Func<Task<T?>> probe, string what) where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found) return found;
            await Task.Delay(100);
        }
        throw new TimeoutException($"never happened within {Patience}: {what}");
    }

    private static async Task<bool> Eventually(Func<Task<bool?>> probe, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() == true) return true;
            await Task.Delay(100);
        }
        throw new TimeoutException($"never happened within {Patience}: {what}");
    }

    public void Dispose() => _env.Dispose();
}
